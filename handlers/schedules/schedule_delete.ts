import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { removeSchedule } from "../../scheduler/api.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/schedules/:id",
  role: "operator",
  summary:
    "Delete a schedule (204, also when absent); the scheduler unregisters it live; audit schedule_delete",
  handler: async (c) => {
    await removeSchedule(deps(c), c.req.param("id") ?? "", caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
