import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getResult, ResultRowSchema } from "../../lib/reads/results.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/results/:result_id",
  role: "viewer",
  summary: "one result with full stdout/stderr; 404",
  request: { params: pathParams("result_id") },
  responses: { 200: { json: ResultRowSchema }, 404: "unknown result" },
  handler: async (c) => c.json(await getResult(deps(c).db, c.req.valid("param").result_id)),
});
export default standalone(route);
