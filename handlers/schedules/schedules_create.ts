import { z } from "zod";
import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { upsertSchedule } from "../../lib/schedules/service.ts";
import { ScheduleInputSchema } from "../../wire/schedule.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/schedules",
  role: "operator",
  summary:
    "Create/replace a schedule (JSON or YAML; `when:` or legacy `cron` shape): strict keys, validate() rules and a known job_id (400); mirrors YAML; audit schedule_upsert",
  request: {
    body: {
      document: ScheduleInputSchema,
      description: "a schedule, JSON or YAML (the YAML is kept as written)",
    },
  },
  responses: {
    200: {
      json: z.strictObject({
        id: z.string(),
        when: z.unknown().optional().meta({ description: "the `when:` as stored (when shape)" }),
        cron: z.string().meta({ description: "the engine's cron (lowered from `when:`)" }),
        enabled: z.boolean(),
        job_id: z.string(),
      }),
    },
  },
  handler: async (c) => c.json(await upsertSchedule(deps(c), c.req.valid("json"), caller(c))),
});
export default standalone(route);
