import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { ByJobQuerySchema, inventoryByJob } from "../../lib/reads/inventory.ts";
import { JobInventorySchema } from "../../lib/reads/inventory_shapes.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/by-job/:manifest_id",
  role: "viewer",
  summary: "inventory facts of one job across PCs; limit, offset; 404 unknown job",
  request: { params: pathParams("manifest_id"), query: ByJobQuerySchema },
  responses: { 200: { json: JobInventorySchema }, 404: "unknown inventory job" },
  handler: async (c) => {
    const { manifest_id } = c.req.valid("param");
    return c.json(await inventoryByJob(deps(c), manifest_id, c.req.valid("query")));
  },
});

export default standalone(route);
