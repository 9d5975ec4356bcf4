import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listObs, ObsEventsSchema, ObsQuerySchema } from "../../lib/reads/obs.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/obs_events",
  role: "viewer",
  summary:
    "observability events; pc_id, from, to, kind, source, logon_type, CSV kinds/kinds_ex/sources/sources_ex, payload_key (+ payload_value, text or number), limit 1..5000",
  request: { query: ObsQuerySchema },
  responses: { 200: { json: ObsEventsSchema }, 400: "bad parameter, or from not before to" },
  handler: async (c) => c.json(await listObs(deps(c).db, c.req.valid("query"))),
});
export default standalone(route);
