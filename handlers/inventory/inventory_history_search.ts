import { z } from "zod";
import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { historySearch, HistorySearchQuerySchema } from "../../lib/reads/inventory.ts";
import { HistoryRowSchema } from "../../lib/reads/inventory_shapes.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/history/search",
  role: "viewer",
  summary:
    "fleet-wide inventory history, newest first; field, kind=added|removed|changed, since, until, identity.<k>=v, limit 1..5000 (500), offset",
  request: { params: pathParams("manifest_id"), query: HistorySearchQuerySchema },
  responses: { 200: { json: z.array(HistoryRowSchema) } },
  handler: async (c) => {
    // `identity.<k>=v` keys depend on the data: the domain checks them.
    const entries = [...new URL(c.req.url).searchParams];
    const { manifest_id } = c.req.valid("param");
    return c.json(await historySearch(deps(c), manifest_id, c.req.valid("query"), entries));
  },
});

export default standalone(route);
