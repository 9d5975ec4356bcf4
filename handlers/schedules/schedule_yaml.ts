import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { scheduleYaml } from "../../scheduler/api.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/schedules/:id/yaml",
  role: "viewer",
  summary: "The schedule as YAML (the YAML it was posted as, else a rendering of the JSON); 404",
  handler: async (c) =>
    c.body(await scheduleYaml(deps(c), c.req.param("id") ?? ""), 200, {
      "content-type": "application/yaml; charset=utf-8",
    }),
});
export default standalone(route);
