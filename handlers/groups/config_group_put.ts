import { standalone } from "../standalone.ts";
import { GROUP_SCOPE, scopeRoute } from "../_config_scope.ts";

export const route = scopeRoute(
  "put",
  GROUP_SCOPE,
  "Replace the config scope of one group (full replace, validated).",
);
export default standalone(route);
