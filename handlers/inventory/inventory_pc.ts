import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { inventoryForPc } from "../../lib/reads/inventory.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:pc_id",
  role: "viewer",
  summary: "inventory facts of one PC, by job",
  request: { params: pathParams("pc_id") },
  handler: async (c) => c.json(await inventoryForPc(deps(c).db, c.req.valid("param").pc_id)),
});

export default standalone(route);
