import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { effectiveConfig, EffectiveViewSchema } from "../../lib/fleet/config_store.ts";
import { pcParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/effective_config",
  role: "viewer",
  summary: "Resolved config of one PC: `{pc_id, effective, warnings, my_groups}`.",
  request: { params: pathParams("pc_id") },
  responses: { 200: { json: EffectiveViewSchema } },
  handler: async (c) => c.json(await effectiveConfig(deps(c).nats, pcParam(c))),
});
export default standalone(route);
