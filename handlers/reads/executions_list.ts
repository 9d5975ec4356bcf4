import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { ExecutionsQuerySchema, listExecutions } from "../../lib/reads/executions.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/executions",
  role: "viewer",
  summary: "executions, newest first; filters job_id, status; X-Total-Count",
  handler: async (c) => {
    const page = await listExecutions(deps(c).db, readQuery(c, ExecutionsQuerySchema));
    c.header("X-Total-Count", String(page.total));
    return c.json(page.rows);
  },
});

export default standalone(route);
