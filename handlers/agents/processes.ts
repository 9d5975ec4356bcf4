import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { latestProcesses, ProcessesSchema } from "../../lib/fleet/perf.ts";
import { pcTokenParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/processes",
  role: "viewer",
  summary: "Latest process snapshot of one PC, by CPU desc (`latest_at` null when none).",
  request: { params: pathParams("pc_id") },
  responses: { 200: { json: ProcessesSchema } },
  handler: async (c) => c.json(await latestProcesses(deps(c).db, pcTokenParam(c))),
});
export default standalone(route);
