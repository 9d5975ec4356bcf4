import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { obsSources, ObsSourcesSchema } from "../../lib/reads/obs.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/obs_events/sources",
  role: "viewer",
  summary: "distinct event sources: {sources}",
  responses: { 200: { json: ObsSourcesSchema } },
  handler: async (c) => c.json(await obsSources(deps(c).db)),
});

export default standalone(route);
