import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { enableSchedule } from "../../lib/schedules/service.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/schedules/:id/enable",
  role: "operator",
  summary:
    "Set enabled=true with a revision-checked write (no un-revoke); 404; 204; audit schedule_enable",
  request: { params: pathParams("id") },
  responses: { 204: "enabled", 404: "unknown schedule", 409: "changed meanwhile; retry" },
  handler: async (c) => {
    await enableSchedule(deps(c), c.req.valid("param").id, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
