import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { JobSummarySchema, upsertJob } from "../../lib/catalog/jobs.ts";
import { ManifestInputSchema } from "../../wire/manifest.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/jobs",
  role: "operator",
  summary:
    "Register/replace a job: Manifest as JSON or YAML, strict keys + validate() rules (400); mirrors the YAML; audit job_upsert",
  request: {
    body: {
      document: ManifestInputSchema,
      description: "a job manifest, JSON or YAML (the YAML is kept as written)",
    },
  },
  responses: { 200: { json: JobSummarySchema } },
  handler: async (c) => c.json(await upsertJob(deps(c), c.req.valid("json"), caller(c))),
});
export default standalone(route);
