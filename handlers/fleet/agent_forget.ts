import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { forgetAgent } from "../../lib/fleet/forget.ts";
import { recordAudit } from "../../lib/audit.ts";
import { notFound } from "../../lib/errors.ts";
import { pcTokenParam } from "./_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/agents/:pc_id",
  role: "operator",
  summary:
    "Forget an agent: delete its `agents` row (204; 404 if unknown). `?purge=true` also drops its groups and pcs config.",
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    const purge = ["1", "true", "yes"].includes((c.req.query("purge") ?? "").toLowerCase());
    const d = deps(c);
    const r = await forgetAgent(d.db, d.nats, pcId, { purge });
    if (!r.agent_row && !r.groups && !r.pc_config) throw notFound(`agent '${pcId}' not found`);
    await recordAudit(
      d.nats,
      { action: "agent_forget", target: pcId, payload: { ...r, purge } },
      caller(c),
    );
    return c.body(null, 204);
  },
});
export default standalone(route);
