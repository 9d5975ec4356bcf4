import { z } from "zod";
import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { disableSchedule } from "../../lib/schedules/service.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/schedules/:id/disable",
  role: "operator",
  summary:
    "Set enabled=false with a revision-checked write; ?cascade=true also revokes the job (script_status); 404; 204; audit schedule_disable",
  request: {
    params: pathParams("id"),
    query: z.object({
      cascade: z.enum(["true", "false"]).optional().meta({
        description: "true: also revoke the schedule's job",
      }),
    }),
  },
  responses: { 204: "disabled", 404: "unknown schedule", 409: "changed meanwhile; retry" },
  handler: async (c) => {
    const { id } = c.req.valid("param");
    await disableSchedule(deps(c), id, c.req.valid("query").cascade === "true", caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
