import { z } from "zod";
import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { jobYaml } from "../../lib/catalog/jobs.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/jobs/:id/yaml",
  role: "viewer",
  summary:
    "The job's YAML (operator's mirror, else a rendering of the stored JSON); 404 unknown job",
  request: { params: pathParams("id") },
  responses: {
    200: { description: "the manifest as YAML", content: { "application/yaml": z.string() } },
    404: "unknown job",
  },
  handler: async (c) => {
    const text = await jobYaml(deps(c), c.req.valid("param").id);
    return c.body(text, 200, { "content-type": "application/yaml; charset=utf-8" });
  },
});
export default standalone(route);
