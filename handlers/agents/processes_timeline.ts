import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { processMetricParam, windowQuery } from "../../lib/fleet/perf_params.ts";
import { limitParam } from "../../lib/reads/params.ts";
import { processTimeline, ProcessTimelineSchema } from "../../lib/fleet/perf.ts";
import { pcTokenParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/processes/timeline",
  role: "viewer",
  summary:
    "Top-N processes of one PC over time (`metric` cpu|rss|disk_read|disk_written, `step` default 1m, `top` 1-20 default 5, rest as `other`).",
  request: {
    params: pathParams("pc_id"),
    query: windowQuery({ spanSecs: 3600, stepSecs: 60 }, {
      metric: processMetricParam,
      top: limitParam(5, 20),
    }),
  },
  responses: { 200: { json: ProcessTimelineSchema } },
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    const q = c.req.valid("query");
    return c.json(await processTimeline(deps(c).db, pcId, q.metric, q.window, q.top));
  },
});
export default standalone(route);
