import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { aggParam, hostMetricParam, windowQuery } from "../../lib/fleet/perf_params.ts";
import { fleetPerf, FleetPerfSchema } from "../../lib/fleet/perf.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/perf/fleet",
  role: "viewer",
  summary: "Fleet-wide host metric per bucket (`agg` avg|mean|max; window default 1h, step 5m).",
  request: {
    query: windowQuery({ spanSecs: 3600, stepSecs: 300 }, {
      metric: hostMetricParam,
      agg: aggParam,
    }),
  },
  responses: { 200: { json: FleetPerfSchema } },
  handler: async (c) => {
    const q = c.req.valid("query");
    return c.json(await fleetPerf(deps(c).db, q.metric, q.agg, q.window));
  },
});
export default standalone(route);
