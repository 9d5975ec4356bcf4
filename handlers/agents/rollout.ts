import { z } from "zod";
import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { rollout } from "../../lib/fleet/rollout.ts";
import { checkVersion } from "../../lib/fleet/releases.ts";
import { ScopeInputSchema, scopeOf } from "../../lib/fleet/scopes.ts";
import { recordAudit } from "../../lib/audit.ts";

const Body = z.object({
  version: z.string().min(1),
  scope: ScopeInputSchema,
  jitter: z.string().nullish(),
});

export const route = defineRoute({
  method: "POST",
  path: "/api/agents/rollout",
  role: "operator",
  summary:
    "Set `target_version` (+ jitter) on a scope `{type: global|group|pc, value?}`; 404 unknown version.",
  request: { body: { json: Body } },
  responses: {
    200: {
      json: z.strictObject({
        version: z.string(),
        scope_key: z.string(),
        scope_label: z.string(),
        jitter: z.string().nullable(),
      }),
    },
    404: "no such release",
  },
  handler: async (c) => {
    const body = c.req.valid("json");
    const version = checkVersion(body.version);
    const scope = scopeOf(body.scope);
    const jitter = body.jitter?.trim() ? body.jitter.trim() : null;
    const r = await rollout(deps(c).nats, version, scope, jitter);
    await recordAudit(deps(c).nats, {
      action: "agent_rollout",
      target: version,
      payload: { version, scope_key: r.scope_key, jitter, changed: r.changed },
    }, caller(c));
    return c.json({
      version: r.version,
      scope_key: r.scope_key,
      scope_label: r.scope_label,
      jitter: r.jitter,
    });
  },
});
export default standalone(route);
