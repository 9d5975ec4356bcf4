import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { killExecution } from "../../lib/exec/kill.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/executions/:exec_id/kill",
  role: "operator",
  summary:
    "Publish kill.<exec_id> for one execution, flush; 204; 404 unknown execution; audit execution_kill",
  request: { params: pathParams("exec_id") },
  responses: { 204: "kill published", 404: "unknown execution" },
  handler: async (c) => {
    await killExecution(deps(c), c.req.valid("param").exec_id, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
