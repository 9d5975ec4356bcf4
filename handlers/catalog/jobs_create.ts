import { caller, defineRoute, deps, readDocument } from "../route.ts";
import { standalone } from "../standalone.ts";
import { upsertJob } from "../../lib/catalog/jobs.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/jobs",
  role: "operator",
  summary:
    "Register/replace a job: Manifest as JSON or YAML, strict keys + validate() rules (400); mirrors the YAML; audit job_upsert",
  handler: async (c) => c.json(await upsertJob(deps(c), await readDocument(c), caller(c))),
});
export default standalone(route);
