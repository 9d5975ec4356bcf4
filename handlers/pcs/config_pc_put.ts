import { standalone } from "../standalone.ts";
import { PC_SCOPE, scopeRoute } from "../_config_scope.ts";

export const route = scopeRoute(
  "put",
  PC_SCOPE,
  "Replace the config scope of one pc (full replace, validated).",
);
export default standalone(route);
