import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { tailResult } from "../../lib/reads/results.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/results/:result_id/tail",
  role: "viewer",
  summary: "live tail: finished → DB, in flight → job.tail.<pc_id> (3 s)",
  handler: async (c) => c.json(await tailResult(deps(c), c.req.param("result_id") ?? "")),
});

export default standalone(route);
