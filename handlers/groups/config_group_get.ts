import { defineRoute, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getScopeResponse, scopeSchemas } from "../_config_scope.ts";
import { groupParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/groups/:name/config",
  role: "viewer",
  summary: "Config scope of one group (`{}` when unset).",
  request: { params: pathParams("name") },
  responses: scopeSchemas.get,
  handler: (c) => getScopeResponse(c, { type: "group", value: groupParam(c) }),
});
export default standalone(route);
