import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { searchExplode, SearchQuerySchema } from "../../lib/inventory/reads.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/search/:field",
  role: "viewer",
  summary:
    "rows of one explode table; filters `<col>=v` or `<col>__op=v` (eq ne lt le gt ge contains prefix suffix), limit 1..5000 (1000), offset; 404 unknown job/field, 400 bad column/op, 409 stale table, 503 no jobs bucket",
  handler: async (c) => {
    const page = readQuery(c, SearchQuerySchema);
    const entries = [...new URL(c.req.url).searchParams];
    return c.json(
      await searchExplode(
        deps(c),
        c.req.param("manifest_id") ?? "",
        c.req.param("field") ?? "",
        entries,
        page,
      ),
    );
  },
});

export default standalone(route);
