import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  listTransitions,
  TransitionsQuerySchema,
  TransitionsViewSchema,
} from "../../lib/reads/checks.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/checks/transitions",
  role: "viewer",
  summary:
    "Check status changes, newest first: `{transitions[{pc_id, check_name, label, from_status, to_status, detail, recorded_at}]}`; pc_id, check, limit 1..5000 (200)",
  request: { query: TransitionsQuerySchema },
  responses: { 200: { json: TransitionsViewSchema } },
  handler: async (c) => c.json(await listTransitions(deps(c).db, c.req.valid("query"))),
});
export default standalone(route);
