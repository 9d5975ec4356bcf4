import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { windowQuery } from "../../lib/fleet/perf_params.ts";
import { hostPerf, HostPerfSchema } from "../../lib/fleet/perf.ts";
import { pcTokenParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/perf",
  role: "viewer",
  summary:
    "Host perf of one PC bucketed by `step` (default 5m) over `from`..`to` (default last 1h).",
  request: {
    params: pathParams("pc_id"),
    query: windowQuery({ spanSecs: 3600, stepSecs: 300 }, {}),
  },
  responses: { 200: { json: HostPerfSchema } },
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    return c.json(await hostPerf(deps(c).db, pcId, c.req.valid("query").window));
  },
});
export default standalone(route);
