import { standalone } from "../standalone.ts";
import { GLOBAL_SCOPE, scopeRoute } from "../_config_scope.ts";

export const route = scopeRoute("get", GLOBAL_SCOPE, "Global config scope (`{}` when unset).");
export default standalone(route);
