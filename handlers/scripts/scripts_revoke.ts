import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { setScriptStatus } from "../../lib/catalog/script_status.ts";
import { SCRIPT_STATUS_REVOKED } from "../../wire/names.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/scripts/:id/revoke",
  role: "operator",
  summary:
    "script_status[id] = REVOKED (agents skip with exit 126); idempotent; 204; audit script_revoke",
  request: { params: pathParams("id") },
  responses: { 204: "revoked" },
  handler: async (c) => {
    await setScriptStatus(deps(c), c.req.valid("param").id, SCRIPT_STATUS_REVOKED, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
