import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getScopeResponse, scopeSchemas } from "../_config_scope.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/config",
  role: "viewer",
  summary: "Global config scope (`{}` when unset).",
  responses: scopeSchemas.get,
  handler: (c) => getScopeResponse(c, { type: "global" }),
});
export default standalone(route);
