import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { editGroups, GroupsOfPcSchema } from "../../lib/fleet/groups.ts";
import { recordAudit } from "../../lib/audit.ts";
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
    const r = await editGroups(deps(c).nats, pcId, { op: "remove", group });
    if (r.changed) {
      await recordAudit(deps(c).nats, {
        action: "agent_groups_remove",
        target: pcId,
        payload: { group, groups: r.value },
      }, caller(c));
    }
    return c.json({ groups: r.value });
  },
});
export default standalone(route);
