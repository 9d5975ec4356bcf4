import { defineRoute, deps, pagedResponse, sendPage } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  listResults,
  REGEX_SCAN_CAP,
  ResultRowSchema,
  ResultsQuerySchema,
} from "../../lib/reads/results.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/results",
  role: "viewer",
  summary:
    "results, newest first; RE2 regex filters pc_id/job_id/exec_id/stdout/stderr, status, since; X-Total-Count",
  request: { query: ResultsQuerySchema },
  responses: {
    200: pagedResponse(
      ResultRowSchema,
      "matching rows (with regex filters: matches within the scan window)",
      { "X-Scan-Capped": `present (${REGEX_SCAN_CAP}) when a regex scan stopped at its cap` },
    ),
  },
  handler: async (c) => {
    const page = await listResults(deps(c).db, c.req.valid("query"));
    return sendPage(c, page, { "X-Scan-Capped": page.scanCapped ? REGEX_SCAN_CAP : undefined });
  },
});
export default standalone(route);
