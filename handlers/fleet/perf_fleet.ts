import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { hostMetric, parseAgg, parseWindow } from "../../lib/fleet/perf_params.ts";
import { fleetPerf } from "../../lib/fleet/perf.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/perf/fleet",
  role: "viewer",
  summary: "Fleet-wide host metric per bucket (`agg` avg|mean|max; window default 1h, step 5m).",
  handler: async (c) => {
    const q = c.req.query();
    const metric = hostMetric(q.metric);
    const agg = parseAgg(q.agg);
    const w = parseWindow(q, { spanSecs: 3600, stepSecs: 300 }, Date.now());
    return c.json(await fleetPerf(deps(c).db, metric, agg, w));
  },
});
export default standalone(route);
