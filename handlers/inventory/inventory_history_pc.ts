import { z } from "zod";
import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { historyForPc, HistoryPcQuerySchema } from "../../lib/reads/inventory.ts";
import { HistoryRowSchema } from "../../lib/reads/inventory_shapes.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/history/pc/:pc_id",
  role: "viewer",
  summary: "inventory change history of one PC, newest first; field, since, limit 1..5000 (500)",
  request: { params: pathParams("manifest_id", "pc_id"), query: HistoryPcQuerySchema },
  responses: { 200: { json: z.array(HistoryRowSchema) } },
  handler: async (c) => {
    const { manifest_id, pc_id } = c.req.valid("param");
    return c.json(await historyForPc(deps(c), manifest_id, pc_id, c.req.valid("query")));
  },
});

export default standalone(route);
