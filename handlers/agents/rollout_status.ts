import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { rolloutStatus, RolloutStatusSchema } from "../../lib/fleet/rollout_status.ts";
import { optText } from "../../lib/reads/params.ts";
import { checkVersion } from "../../lib/fleet/releases.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/rollout/status",
  role: "viewer",
  summary:
    "Rollout progress: per deciding scope, how many agents already report the target version (`?version=` filters).",
  request: {
    query: z.object({ version: optText.meta({ description: "only scopes targeting it" }) }),
  },
  responses: { 200: { json: RolloutStatusSchema } },
  handler: async (c) => {
    const raw = c.req.valid("query").version;
    const version = raw && raw.trim() ? checkVersion(raw) : null;
    const d = deps(c);
    return c.json(await rolloutStatus(d.db, d.nats, version, d.config.aliveWindowSecs));
  },
});
export default standalone(route);
