import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { hostMetricParam, spanParam } from "../../lib/fleet/perf_params.ts";
import { limitParam } from "../../lib/reads/params.ts";
import { topPcs, TopPcsSchema } from "../../lib/fleet/perf.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/perf/top",
  role: "viewer",
  summary: "PCs with the highest AVG(metric) over `window` (default 5m); `limit` 1-50 default 5.",
  request: {
    query: z.object({
      metric: hostMetricParam,
      window: spanParam(300),
      limit: limitParam(5, 50),
    }),
  },
  responses: { 200: { json: TopPcsSchema } },
  handler: async (c) => {
    const q = c.req.valid("query");
    return c.json(await topPcs(deps(c).db, q.metric, q.window, q.limit, Date.now()));
  },
});
export default standalone(route);
