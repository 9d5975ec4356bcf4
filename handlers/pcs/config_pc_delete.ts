import { standalone } from "../standalone.ts";
import { PC_SCOPE, scopeRoute } from "../_config_scope.ts";

export const route = scopeRoute(
  "delete",
  PC_SCOPE,
  "Remove the config scope of one pc (204, idempotent).",
);
export default standalone(route);
