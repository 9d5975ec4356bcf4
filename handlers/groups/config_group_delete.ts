import { defineRoute, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteScopeResponse, scopeSchemas } from "../_config_scope.ts";
import { groupParam } from "../_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/groups/:name/config",
  role: "operator",
  summary: "Remove the config scope of one group (204, idempotent).",
  request: { params: pathParams("name") },
  responses: scopeSchemas.delete,
  handler: (c) => deleteScopeResponse(c, { type: "group", value: groupParam(c) }),
});
export default standalone(route);
