import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { recentObs, RecentQuerySchema } from "../../lib/reads/obs.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/obs_events/recent",
  role: "viewer",
  summary: "newest events fleet-wide; limit 1..5000 (default 50)",
  handler: async (c) => {
    const q = readQuery(c, RecentQuerySchema);
    return c.json(await recentObs(deps(c).db, q.limit));
  },
});

export default standalone(route);
