import { z } from "zod";
import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { editPcGroups, GroupsOfPcSchema } from "../../lib/fleet/groups.ts";
import { checkId } from "../../lib/fleet/scopes.ts";
import { pcParam } from "../_params.ts";

const Body = z.object({ group: z.string().trim().min(1, "group must not be blank") });

export const route = defineRoute({
  method: "POST",
  path: "/api/agents/:pc_id/groups",
  role: "operator",
  summary: "Add one group to a PC (idempotent; compare-and-swap).",
  request: { params: pathParams("pc_id"), body: { json: Body } },
  responses: { 200: { json: GroupsOfPcSchema } },
  handler: async (c) => {
    const pcId = pcParam(c);
    const group = checkId("group", c.req.valid("json").group);
    return c.json(await editPcGroups(deps(c).nats, pcId, { op: "add", group }, caller(c)));
  },
});
export default standalone(route);
