import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { rolloutStatus } from "../../lib/fleet/rollout_status.ts";
import { checkVersion } from "../../lib/fleet/releases.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/rollout/status",
  role: "viewer",
  summary:
    "Rollout progress: per deciding scope, how many agents already report the target version (`?version=` filters).",
  handler: async (c) => {
    const raw = c.req.query("version");
    const version = raw && raw.trim() ? checkVersion(raw) : null;
    const d = deps(c);
    return c.json(await rolloutStatus(d.db, d.nats, version, d.config.aliveWindowSecs));
  },
});
export default standalone(route);
