import { defineRoute, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getScopeResponse, scopeSchemas } from "../_config_scope.ts";
import { pcParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/pcs/:pc_id/config",
  role: "viewer",
  summary: "Config scope of one pc (`{}` when unset).",
  request: { params: pathParams("pc_id") },
  responses: scopeSchemas.get,
  handler: (c) => getScopeResponse(c, { type: "pc", value: pcParam(c) }),
});
export default standalone(route);
