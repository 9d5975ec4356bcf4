import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { scanDurations, ScanDurationsQuerySchema } from "../../lib/reads/health.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/health/scan_durations",
  role: "viewer",
  summary: "per-job run durations since (default 24 h): count, min, p50, p95, p99, max, mean",
  handler: async (c) => {
    const q = readQuery(c, ScanDurationsQuerySchema);
    return c.json(await scanDurations(deps(c).db, q.since));
  },
});

export default standalone(route);
