import { z } from "zod";
import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { scheduleYaml } from "../../lib/schedules/service.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/schedules/:id/yaml",
  role: "viewer",
  summary: "The schedule as YAML (the YAML it was posted as, else a rendering of the JSON); 404",
  request: { params: pathParams("id") },
  responses: {
    200: { description: "the schedule as YAML", content: { "application/yaml": z.string() } },
    404: "unknown schedule",
  },
  handler: async (c) =>
    c.body(await scheduleYaml(deps(c), c.req.valid("param").id), 200, {
      "content-type": "application/yaml; charset=utf-8",
    }),
});
export default standalone(route);
