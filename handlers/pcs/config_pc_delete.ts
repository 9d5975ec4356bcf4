import { defineRoute, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteScopeResponse, scopeSchemas } from "../_config_scope.ts";
import { pcParam } from "../_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/pcs/:pc_id/config",
  role: "operator",
  summary: "Remove the config scope of one pc (204, idempotent).",
  request: { params: pathParams("pc_id") },
  responses: scopeSchemas.delete,
  handler: (c) => deleteScopeResponse(c, { type: "pc", value: pcParam(c) }),
});
export default standalone(route);
