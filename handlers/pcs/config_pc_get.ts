import { standalone } from "../standalone.ts";
import { PC_SCOPE, scopeRoute } from "../_config_scope.ts";

export const route = scopeRoute("get", PC_SCOPE, "Config scope of one pc (`{}` when unset).");
export default standalone(route);
