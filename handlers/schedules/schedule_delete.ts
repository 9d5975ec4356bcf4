import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { removeSchedule } from "../../lib/schedules/service.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/schedules/:id",
  role: "operator",
  summary:
    "Delete a schedule (204, also when absent); the scheduler unregisters it live; audit schedule_delete",
  request: { params: pathParams("id") },
  responses: { 204: "deleted (or was absent)" },
  handler: async (c) => {
    await removeSchedule(deps(c), c.req.valid("param").id, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
