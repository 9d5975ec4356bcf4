import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  ROLLOUT_AGENTS_DEFAULT,
  ROLLOUT_AGENTS_MAX,
  rolloutStatus,
  RolloutStatusSchema,
} from "../../lib/fleet/rollout_status.ts";
import { checkVersion } from "../../lib/fleet/releases.ts";
import { limitParam, optText } from "../../lib/reads/params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/rollout/status",
  role: "viewer",
  summary:
    "Rollout progress: per deciding scope, how many agents already report the target version (`?version=` filters); `agents` lists at most `limit` (1000, max 10000), those not on target first.",
  request: {
    query: z.object({
      version: optText.meta({ description: "only scopes targeting it" }),
      limit: limitParam(ROLLOUT_AGENTS_DEFAULT, ROLLOUT_AGENTS_MAX).meta({
        description: "agents listed (the counts cover every agent)",
      }),
    }),
  },
  responses: { 200: { json: RolloutStatusSchema } },
  handler: async (c) => {
    const q = c.req.valid("query");
    const version = q.version && q.version.trim() ? checkVersion(q.version) : null;
    const d = deps(c);
    return c.json(await rolloutStatus(d, version, d.config.aliveWindowSecs, q.limit));
  },
});
export default standalone(route);
