import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { ObsEventsSchema, recentObs, RecentQuerySchema } from "../../lib/reads/obs.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/obs_events/recent",
  role: "viewer",
  summary: "newest events fleet-wide; limit 1..5000 (default 50)",
  request: { query: RecentQuerySchema },
  responses: { 200: { json: ObsEventsSchema } },
  handler: async (c) => c.json(await recentObs(deps(c).db, c.req.valid("query").limit)),
});
export default standalone(route);
