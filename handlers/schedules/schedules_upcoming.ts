import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { upcoming } from "../../lib/schedules/service.ts";
import { limitParam } from "../../lib/reads/params.ts";
import { WireTimestampSchema } from "../../wire/time.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/schedules/upcoming",
  role: "viewer",
  summary:
    "Enabled schedules by next run: [{id, job_id, when (display), next_run}] (?limit=20, max 1000)",
  request: { query: z.object({ limit: limitParam(20, 1000) }) },
  responses: {
    200: {
      json: z.array(z.strictObject({
        id: z.string(),
        job_id: z.string(),
        when: z.string().meta({ description: "the trigger for display (`per_pc once`, a cron)" }),
        next_run: WireTimestampSchema,
      })),
    },
  },
  handler: async (c) => c.json(await upcoming(deps(c), c.req.valid("query").limit)),
});
export default standalone(route);
