import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { activeInvestigations, InvestigationsSchema } from "../../lib/fleet/perf.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/perf/active-investigations",
  role: "viewer",
  summary: "PCs that sent process samples in the last 5 minutes.",
  responses: { 200: { json: InvestigationsSchema } },
  handler: async (c) => c.json(await activeInvestigations(deps(c).db, Date.now())),
});
export default standalone(route);
