import { z } from "zod";
import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { forgetAgent } from "../../lib/fleet/forget.ts";
import { recordAudit } from "../../lib/audit.ts";
import { notFound } from "../../lib/errors.ts";
import { flagParam } from "../../lib/reads/params.ts";
import { pcTokenParam } from "../_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/agents/:pc_id",
  role: "operator",
  summary:
    "Forget an agent: delete its `agents` row (204; 404 if unknown). `?purge=true` also drops its groups and pcs config.",
  request: {
    params: pathParams("pc_id"),
    query: z.object({
      purge: flagParam.meta({ description: "also drop the PC's groups and pcs config" }),
    }),
  },
  responses: { 204: "forgotten", 404: "unknown agent (no row, groups or config)" },
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    const purge = c.req.valid("query").purge;
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
