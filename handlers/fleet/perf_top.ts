import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { hostMetric, parseLimit, parseSpan } from "../../lib/fleet/perf_params.ts";
import { topPcs } from "../../lib/fleet/perf.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/perf/top",
  role: "viewer",
  summary: "PCs with the highest AVG(metric) over `window` (default 5m); `limit` 1-50 default 5.",
  handler: async (c) => {
    const q = c.req.query();
    const metric = hostMetric(q.metric);
    const windowSecs = parseSpan(q.window, "window", 300);
    const limit = parseLimit(q.limit, "limit", 5, 1, 50);
    return c.json(await topPcs(deps(c).db, metric, windowSecs, limit, Date.now()));
  },
});
export default standalone(route);
