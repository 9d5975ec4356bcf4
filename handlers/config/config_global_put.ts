import { standalone } from "../standalone.ts";
import { GLOBAL_SCOPE, scopeRoute } from "../_config_scope.ts";

export const route = scopeRoute(
  "put",
  GLOBAL_SCOPE,
  "Replace the global config scope (full replace, validated ConfigScope).",
);
export default standalone(route);
