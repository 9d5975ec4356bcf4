import { standalone } from "../standalone.ts";
import { GROUP_SCOPE, scopeRoute } from "../_config_scope.ts";

export const route = scopeRoute("get", GROUP_SCOPE, "Config scope of one group (`{}` when unset).");
export default standalone(route);
