import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getExecution } from "../../lib/reads/executions.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/executions/:exec_id",
  role: "viewer",
  summary: "one execution with counters and per-PC results; 404",
  handler: async (c) => c.json(await getExecution(deps(c), c.req.param("exec_id") ?? "")),
});

export default standalone(route);
