import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listAll } from "../../lib/schedules/service.ts";
import { ScheduleInputSchema } from "../../wire/schedule.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/schedules",
  role: "viewer",
  summary:
    "Every stored schedule in the shape it was written (undecodable entries skipped; [] without bucket)",
  responses: {
    200: {
      description: "schedules in either shape (`when:` or the legacy `cron`)",
      json: z.array(ScheduleInputSchema),
    },
  },
  handler: async (c) => c.json(await listAll(deps(c))),
});
export default standalone(route);
