import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteFreeze } from "../../lib/schedules/service.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/freeze",
  role: "operator",
  summary: "Lift the fleet freeze (204, also when none); audit freeze_clear",
  responses: { 204: "lifted" },
  handler: async (c) => {
    await deleteFreeze(deps(c), caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
