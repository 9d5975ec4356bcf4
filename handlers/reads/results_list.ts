import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listResults, REGEX_SCAN_CAP, ResultsQuerySchema } from "../../lib/reads/results.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/results",
  role: "viewer",
  summary:
    "results, newest first; RE2 regex filters pc_id/job_id/exec_id/stdout/stderr, status, since; X-Total-Count",
  handler: async (c) => {
    const q = readQuery(c, ResultsQuerySchema);
    const page = await listResults(deps(c).db, q);
    c.header("X-Total-Count", String(page.total));
    if (page.scanCapped) c.header("X-Scan-Capped", String(REGEX_SCAN_CAP));
    return c.json(page.rows);
  },
});

export default standalone(route);
