import { z } from "zod";
import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { editPcGroups, GroupsOfPcSchema } from "../../lib/fleet/groups.ts";
import { checkId } from "../../lib/fleet/scopes.ts";
import { pcParam } from "../_params.ts";

const Body = z.object({ groups: z.array(z.string()) });

export const route = defineRoute({
  method: "PUT",
  path: "/api/agents/:pc_id/groups",
  role: "operator",
  summary: "Replace a PC's groups (sorted, de-duplicated; compare-and-swap).",
  request: { params: pathParams("pc_id"), body: { json: Body } },
  responses: { 200: { json: GroupsOfPcSchema } },
  handler: async (c) => {
    const pcId = pcParam(c);
    const groups = c.req.valid("json").groups.map((g) => checkId("group", g.trim()));
    return c.json(await editPcGroups(deps(c).nats, pcId, { op: "set", groups }, caller(c)));
  },
});
export default standalone(route);
