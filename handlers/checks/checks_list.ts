import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { ChecksQuerySchema, ChecksViewSchema, listChecks } from "../../lib/reads/checks.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/checks",
  role: "viewer",
  summary:
    "Compliance: `{counts[{check_name, label, ok, warn, fail, unknown, stale}], rows, stale_days, truncated}`; check, pc_id, include_ok (false), include_stale (true), limit 1..100000",
  request: { query: ChecksQuerySchema },
  responses: { 200: { json: ChecksViewSchema } },
  handler: async (c) => {
    const d = deps(c);
    return c.json(
      await listChecks(d.db, c.req.valid("query"), { staleDays: d.config.checkStaleDays }),
    );
  },
});
export default standalone(route);
