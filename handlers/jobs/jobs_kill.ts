import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { killJob } from "../../lib/exec/kill.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/jobs/:job_id/kill",
  role: "operator",
  summary:
    "Publish kill.<exec_id> for every pending/running execution of the job, flush; 204; audit job_kill",
  request: { params: pathParams("job_id") },
  responses: { 204: "kills published (also when nothing runs)" },
  handler: async (c) => {
    await killJob(deps(c), c.req.valid("param").job_id, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
