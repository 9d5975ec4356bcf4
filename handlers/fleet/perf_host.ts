import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { parseWindow } from "../../lib/fleet/perf_params.ts";
import { hostPerf } from "../../lib/fleet/perf.ts";
import { pcTokenParam } from "./_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/perf",
  role: "viewer",
  summary:
    "Host perf of one PC bucketed by `step` (default 5m) over `from`..`to` (default last 1h).",
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    const w = parseWindow(c.req.query(), { spanSecs: 3600, stepSecs: 300 }, Date.now());
    return c.json(await hostPerf(deps(c).db, pcId, w));
  },
});
export default standalone(route);
