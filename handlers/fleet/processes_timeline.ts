import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { parseLimit, parseWindow, processMetric } from "../../lib/fleet/perf_params.ts";
import { processTimeline } from "../../lib/fleet/perf.ts";
import { pcTokenParam } from "./_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/processes/timeline",
  role: "viewer",
  summary:
    "Top-N processes of one PC over time (`metric` cpu|rss|disk_read|disk_written, `step` default 1m, `top` 1-20 default 5, rest as `other`).",
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    const q = c.req.query();
    const metric = processMetric(q.metric);
    const w = parseWindow(q, { spanSecs: 3600, stepSecs: 60 }, Date.now());
    const top = parseLimit(q.top, "top", 5, 1, 20);
    return c.json(await processTimeline(deps(c).db, pcId, metric, w, top));
  },
});
export default standalone(route);
