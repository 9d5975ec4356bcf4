import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { ExecutionDetailSchema, getExecution } from "../../lib/reads/executions.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/executions/:exec_id",
  role: "viewer",
  summary: "one execution with counters and per-PC results; 404",
  request: { params: pathParams("exec_id") },
  responses: { 200: { json: ExecutionDetailSchema }, 404: "unknown execution" },
  handler: async (c) => c.json(await getExecution(deps(c), c.req.valid("param").exec_id)),
});
export default standalone(route);
