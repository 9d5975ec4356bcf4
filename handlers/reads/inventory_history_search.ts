import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { historySearch, HistorySearchQuerySchema } from "../../lib/inventory/reads.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/history/search",
  role: "viewer",
  summary:
    "fleet-wide inventory history, newest first; field, kind=added|removed|changed, since, until, identity.<k>=v, limit 1..5000 (500), offset",
  handler: async (c) => {
    const q = readQuery(c, HistorySearchQuerySchema);
    const entries = [...new URL(c.req.url).searchParams];
    return c.json(await historySearch(deps(c), c.req.param("manifest_id") ?? "", q, entries));
  },
});

export default standalone(route);
