import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { historyForPc, HistoryPcQuerySchema } from "../../lib/inventory/reads.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/inventory/:manifest_id/history/pc/:pc_id",
  role: "viewer",
  summary: "inventory change history of one PC, newest first; field, since, limit 1..5000 (500)",
  handler: async (c) => {
    const q = readQuery(c, HistoryPcQuerySchema);
    return c.json(
      await historyForPc(deps(c), c.req.param("manifest_id") ?? "", c.req.param("pc_id") ?? "", q),
    );
  },
});

export default standalone(route);
