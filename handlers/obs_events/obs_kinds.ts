import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { obsKinds, ObsKindsSchema } from "../../lib/reads/obs.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/obs_events/kinds",
  role: "viewer",
  summary: "distinct event kinds: {kinds}",
  responses: { 200: { json: ObsKindsSchema } },
  handler: async (c) => c.json(await obsKinds(deps(c).db)),
});
export default standalone(route);
