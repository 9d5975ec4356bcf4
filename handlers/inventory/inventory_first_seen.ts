import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { firstSeen, FirstSeenQuerySchema } from "../../lib/reads/inventory.ts";
import { FirstSeenSchema } from "../../lib/reads/inventory_shapes.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/history/first_seen",
  role: "viewer",
  summary:
    "first sighting per PC `[{pc_id, first_seen_at}]`, oldest first; field, since, identity.<k>=v, limit 1..5000 (5000), offset",
  request: { params: pathParams("manifest_id"), query: FirstSeenQuerySchema },
  responses: { 200: { json: FirstSeenSchema } },
  handler: async (c) => {
    // `identity.<k>=v` keys depend on the data: the domain checks them.
    const entries = [...new URL(c.req.url).searchParams];
    const { manifest_id } = c.req.valid("param");
    return c.json(await firstSeen(deps(c), manifest_id, c.req.valid("query"), entries));
  },
});

export default standalone(route);
