import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { JobListItemSchema, listJobs } from "../../lib/catalog/jobs.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/jobs",
  role: "viewer",
  summary:
    "Every job manifest (sorted by id) with live{running, pending} counts; [] without a jobs bucket",
  responses: { 200: { json: z.array(JobListItemSchema) } },
  handler: async (c) => c.json(await listJobs(deps(c))),
});
export default standalone(route);
