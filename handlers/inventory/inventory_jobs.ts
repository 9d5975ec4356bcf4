import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { inventoryJobs } from "../../lib/reads/inventory.ts";
import { InventoryJobSchema } from "../../lib/reads/inventory_shapes.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/jobs",
  role: "viewer",
  summary: "jobs with an inventory hint and their PC counts; 503 without the jobs bucket",
  responses: { 200: { json: z.array(InventoryJobSchema) }, 503: "no jobs bucket" },
  handler: async (c) => c.json(await inventoryJobs(deps(c))),
});

export default standalone(route);
