import { z } from "zod";
import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { editGroups, GroupsOfPcSchema } from "../../lib/fleet/groups.ts";
import { checkId } from "../../lib/fleet/scopes.ts";
import { recordAudit } from "../../lib/audit.ts";
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
    const r = await editGroups(deps(c).nats, pcId, { op: "add", group });
    if (r.changed) {
      await recordAudit(deps(c).nats, {
        action: "agent_groups_add",
        target: pcId,
        payload: { group, groups: r.value },
      }, caller(c));
    }
    return c.json({ groups: r.value });
  },
});
export default standalone(route);
