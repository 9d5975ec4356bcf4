import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
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
  responses: {
    200: {
      json: z.array(ExecutionRowSchema),
      headers: { "X-Total-Count": "rows matching the filters" },
    },
  },
  handler: async (c) => {
    const page = await listExecutions(deps(c).db, c.req.valid("query"));
    c.header("X-Total-Count", String(page.total));
    return c.json(page.rows);
  },
});
export default standalone(route);
