import { defineRoute, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { putScopeResponse, scopeSchemas } from "../_config_scope.ts";
import { groupParam } from "../_params.ts";

export const route = defineRoute({
  method: "PUT",
  path: "/api/groups/:name/config",
  role: "operator",
  summary: "Replace the config scope of one group (full replace, validated).",
  request: { params: pathParams("name"), body: scopeSchemas.put.body },
  responses: scopeSchemas.put.responses,
  handler: (c) => putScopeResponse(c, { type: "group", value: groupParam(c) }),
});
export default standalone(route);
