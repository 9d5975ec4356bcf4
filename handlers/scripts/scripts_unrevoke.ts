import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { setScriptStatus } from "../../lib/catalog/script_status.ts";
import { SCRIPT_STATUS_ACTIVE } from "../../wire/names.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/scripts/:id/unrevoke",
  role: "operator",
  summary: "script_status[id] = ACTIVE; idempotent; 204; audit script_unrevoke",
  request: { params: pathParams("id") },
  responses: { 204: "active again" },
  handler: async (c) => {
    await setScriptStatus(deps(c), c.req.valid("param").id, SCRIPT_STATUS_ACTIVE, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
