import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { inventoryJobs } from "../../lib/reads/inventory.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/jobs",
  role: "viewer",
  summary: "jobs with an inventory hint and their PC counts; 503 without the jobs bucket",
  handler: async (c) => c.json(await inventoryJobs(deps(c))),
});

export default standalone(route);
