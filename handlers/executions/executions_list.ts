import { defineRoute, deps, pagedResponse, sendPage } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  ExecutionRowSchema,
  ExecutionsQuerySchema,
  listExecutions,
} from "../../lib/reads/executions.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/executions",
  role: "viewer",
  summary: "executions, newest first; filters job_id, status; X-Total-Count",
  request: { query: ExecutionsQuerySchema },
  responses: { 200: pagedResponse(ExecutionRowSchema, "rows matching the filters") },
  handler: async (c) => sendPage(c, await listExecutions(deps(c).db, c.req.valid("query"))),
});
export default standalone(route);
