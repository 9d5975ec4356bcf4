import { defineRoute, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { putScopeResponse, scopeSchemas } from "../_config_scope.ts";
import { pcParam } from "../_params.ts";

export const route = defineRoute({
  method: "PUT",
  path: "/api/pcs/:pc_id/config",
  role: "operator",
  summary: "Replace the config scope of one pc (full replace, validated).",
  request: { params: pathParams("pc_id"), body: scopeSchemas.put.body },
  responses: scopeSchemas.put.responses,
  handler: (c) => putScopeResponse(c, { type: "pc", value: pcParam(c) }),
});
export default standalone(route);
