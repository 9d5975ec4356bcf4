import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getResult } from "../../lib/reads/results.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/results/:result_id",
  role: "viewer",
  summary: "one result with full stdout/stderr; 404",
  handler: async (c) => c.json(await getResult(deps(c).db, c.req.param("result_id") ?? "")),
});

export default standalone(route);
