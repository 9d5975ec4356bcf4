import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { TailResponseSchema, tailResult } from "../../lib/reads/results.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/results/:result_id/tail",
  role: "viewer",
  summary: "live tail: finished → DB, in flight → job.tail.<pc_id> (3 s)",
  request: { params: pathParams("result_id") },
  responses: { 200: { json: TailResponseSchema }, 404: "unknown result" },
  handler: async (c) => c.json(await tailResult(deps(c), c.req.valid("param").result_id)),
});
export default standalone(route);
