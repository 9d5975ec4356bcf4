import { z } from "zod";
import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { editGroups, GroupsOfPcSchema } from "../../lib/fleet/groups.ts";
import { checkId } from "../../lib/fleet/scopes.ts";
import { recordAudit } from "../../lib/audit.ts";
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
    const body = c.req.valid("json");
    const groups = body.groups.map((g) => checkId("group", g.trim()));
    const r = await editGroups(deps(c).nats, pcId, { op: "set", groups });
    if (r.changed) {
      await recordAudit(deps(c).nats, {
        action: "agent_groups_set",
        target: pcId,
        payload: { groups: r.value },
      }, caller(c));
    }
    return c.json({ groups: r.value });
  },
});
export default standalone(route);
