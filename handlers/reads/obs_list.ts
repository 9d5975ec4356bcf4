import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listObs, ObsQuerySchema } from "../../lib/reads/obs.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/obs_events",
  role: "viewer",
  summary: "observability events; pc_id, from, to, kind(s), source(s), limit 1..5000",
  handler: async (c) => c.json(await listObs(deps(c).db, readQuery(c, ObsQuerySchema))),
});

export default standalone(route);
