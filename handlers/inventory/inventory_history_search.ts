import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { historySearch, HistorySearchQuerySchema } from "../../lib/reads/inventory.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/history/search",
  role: "viewer",
  summary:
    "fleet-wide inventory history, newest first; field, kind=added|removed|changed, since, until, identity.<k>=v, limit 1..5000 (500), offset",
  request: { params: pathParams("manifest_id"), query: HistorySearchQuerySchema },
  handler: async (c) => {
    // `identity.<k>=v` keys depend on the data: the domain checks them.
    const entries = [...new URL(c.req.url).searchParams];
    const { manifest_id } = c.req.valid("param");
    return c.json(await historySearch(deps(c), manifest_id, c.req.valid("query"), entries));
  },
});

export default standalone(route);
