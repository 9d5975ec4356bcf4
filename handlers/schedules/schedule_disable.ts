import { z } from "zod";
import { caller, defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { disableSchedule } from "../../scheduler/api.ts";

const Query = z.object({ cascade: z.enum(["true", "false"]).optional() });

export const route = defineRoute({
  method: "POST",
  path: "/api/schedules/:id/disable",
  role: "operator",
  summary:
    "Set enabled=false with a revision-checked write; ?cascade=true also revokes the job (script_status); 404; 204; audit schedule_disable",
  handler: async (c) => {
    const q = readQuery(c, Query);
    await disableSchedule(deps(c), c.req.param("id") ?? "", q.cascade === "true", caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
