import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteJob } from "../../lib/catalog/jobs.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/jobs/:id",
  role: "operator",
  summary:
    "Delete a job: 409 while a schedule references it; revokes it first (script_status REVOKED); 204; audit job_delete",
  request: { params: pathParams("id") },
  responses: { 204: "deleted", 404: "unknown job", 409: "a schedule uses the job" },
  handler: async (c) => {
    await deleteJob(deps(c), c.req.valid("param").id, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
