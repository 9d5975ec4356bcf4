import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { editPcGroups, GroupsOfPcSchema } from "../../lib/fleet/groups.ts";
import { groupParam, pcParam } from "../_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/agents/:pc_id/groups/:group",
  role: "operator",
  summary: "Remove one group from a PC (idempotent; compare-and-swap).",
  request: { params: pathParams("pc_id", "group") },
  responses: { 200: { json: GroupsOfPcSchema } },
  handler: async (c) => {
    const pcId = pcParam(c);
    const group = groupParam(c, "group");
    return c.json(await editPcGroups(deps(c).nats, pcId, { op: "remove", group }, caller(c)));
  },
});
export default standalone(route);
