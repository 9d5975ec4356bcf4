import { z } from "zod";
import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { searchExplode, SearchQuerySchema } from "../../lib/reads/inventory.ts";
import { ExplodeRowSchema } from "../../lib/reads/inventory_shapes.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/search/:field",
  role: "viewer",
  summary:
    "rows of one explode table; filters `<col>=v` or `<col>__op=v` (eq ne lt le gt ge contains prefix suffix), limit 1..5000 (1000), offset; 404 unknown job/field, 400 bad column/op, 409 stale table, 503 no jobs bucket",
  request: { params: pathParams("manifest_id", "field"), query: SearchQuerySchema },
  responses: {
    200: { json: z.array(ExplodeRowSchema) },
    400: "unknown column or operator, invalid identifier",
    404: "unknown job, no inventory/explode, or no such field",
    409: "the stored table no longer fits the spec",
    503: "no jobs bucket",
  },
  handler: async (c) => {
    // `<col>=v` / `<col>__<op>=v` filters depend on the job's spec: the domain checks them.
    const entries = [...new URL(c.req.url).searchParams];
    const { manifest_id, field } = c.req.valid("param");
    return c.json(
      await searchExplode(deps(c), manifest_id, field, entries, c.req.valid("query")),
    );
  },
});

export default standalone(route);
