import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";
import { putScopeResponse, scopeSchemas } from "../_config_scope.ts";

export const route = defineRoute({
  method: "PUT",
  path: "/api/config",
  role: "operator",
  summary: "Replace the global config scope (full replace, validated ConfigScope).",
  request: { body: scopeSchemas.put.body },
  responses: scopeSchemas.put.responses,
  handler: (c) => putScopeResponse(c, { type: "global" }),
});
export default standalone(route);
