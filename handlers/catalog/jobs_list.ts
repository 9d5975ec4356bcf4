import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listJobs } from "../../lib/catalog/jobs.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/jobs",
  role: "viewer",
  summary:
    "Every job manifest (sorted by id) with live{running, pending} counts; [] without a jobs bucket",
  handler: async (c) => c.json(await listJobs(deps(c))),
});
export default standalone(route);
