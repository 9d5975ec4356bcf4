import { z } from "zod";
import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { upcoming } from "../../scheduler/api.ts";

const Query = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});

export const route = defineRoute({
  method: "GET",
  path: "/api/schedules/upcoming",
  role: "viewer",
  summary:
    "Enabled schedules by next run: [{id, job_id, when (display), next_run}] (?limit=20, max 1000)",
  handler: async (c) => c.json(await upcoming(deps(c), readQuery(c, Query).limit)),
});
export default standalone(route);
