import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { firstSeen, FirstSeenQuerySchema } from "../../lib/inventory/reads.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/history/first_seen",
  role: "viewer",
  summary:
    "first sighting per PC `[{pc_id, first_seen_at}]`, oldest first; field, since, identity.<k>=v, limit 1..5000 (5000), offset",
  handler: async (c) => {
    const q = readQuery(c, FirstSeenQuerySchema);
    const entries = [...new URL(c.req.url).searchParams];
    return c.json(await firstSeen(deps(c), c.req.param("manifest_id") ?? "", q, entries));
  },
});

export default standalone(route);
