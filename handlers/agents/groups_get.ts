import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getGroups, GroupsOfPcSchema } from "../../lib/fleet/groups.ts";
import { pcParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/groups",
  role: "viewer",
  summary: "Groups of one PC (`{groups}`, empty when it has no entry).",
  request: { params: pathParams("pc_id") },
  responses: { 200: { json: GroupsOfPcSchema } },
  handler: async (c) => c.json({ groups: await getGroups(deps(c).nats, pcParam(c)) }),
});
export default standalone(route);
