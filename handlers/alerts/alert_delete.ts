import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteRule } from "../../lib/alerts/rules.ts";
import { RuleParams } from "./_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/alerts/:name",
  role: "operator",
  summary:
    "Delete an alert rule → 204 (its delivery history stays until the retention sweep); audit alert_rule_delete",
  request: { params: RuleParams },
  responses: { 204: "deleted", 404: "no such rule" },
  handler: async (c) => {
    await deleteRule(deps(c), c.req.valid("param").name, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
