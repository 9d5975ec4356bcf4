import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { ByJobQuerySchema, inventoryByJob } from "../../lib/reads/inventory.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/by-job/:manifest_id",
  role: "viewer",
  summary: "inventory facts of one job across PCs; limit, offset; 404 unknown job",
  handler: async (c) => {
    const q = readQuery(c, ByJobQuerySchema);
    return c.json(await inventoryByJob(deps(c), c.req.param("manifest_id") ?? "", q));
  },
});

export default standalone(route);
