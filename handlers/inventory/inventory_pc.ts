import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { inventoryForPc } from "../../lib/reads/inventory.ts";
import { PcInventorySchema } from "../../lib/reads/inventory_shapes.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:pc_id",
  role: "viewer",
  summary: "inventory facts of one PC, by job",
  request: { params: pathParams("pc_id") },
  responses: { 200: { json: PcInventorySchema } },
  handler: async (c) => c.json(await inventoryForPc(deps(c).db, c.req.valid("param").pc_id)),
});

export default standalone(route);
