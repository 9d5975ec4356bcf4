import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listObs, ObsQuerySchema } from "../../lib/reads/obs.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/obs_events",
  role: "viewer",
  summary:
    "observability events; pc_id, from, to, kind, source, logon_type, CSV kinds/kinds_ex/sources/sources_ex, payload_key (+ payload_value, text or number), limit 1..5000",
  handler: async (c) => c.json(await listObs(deps(c).db, readQuery(c, ObsQuerySchema))),
});

export default standalone(route);
