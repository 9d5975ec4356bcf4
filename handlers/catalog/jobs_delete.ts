import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteJob } from "../../lib/catalog/jobs.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/jobs/:id",
  role: "operator",
  summary:
    "Delete a job: 409 while a schedule references it; revokes it first (script_status REVOKED); 204; audit job_delete",
  handler: async (c) => {
    await deleteJob(deps(c), c.req.param("id") ?? "", caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
