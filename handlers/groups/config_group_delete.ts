import { standalone } from "../standalone.ts";
import { GROUP_SCOPE, scopeRoute } from "../_config_scope.ts";

export const route = scopeRoute(
  "delete",
  GROUP_SCOPE,
  "Remove the config scope of one group (204, idempotent).",
);
export default standalone(route);
