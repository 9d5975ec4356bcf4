import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { latestProcesses } from "../../lib/fleet/perf.ts";
import { pcTokenParam } from "./_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/processes",
  role: "viewer",
  summary: "Latest process snapshot of one PC, by CPU desc (`latest_at` null when none).",
  handler: async (c) => c.json(await latestProcesses(deps(c).db, pcTokenParam(c))),
});
export default standalone(route);
