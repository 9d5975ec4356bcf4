import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { updateRule } from "../../lib/alerts/rules.ts";
import { AlertRuleUpdateSchema, AlertRuleViewSchema } from "../../lib/alerts/model.ts";
import { RuleParams } from "./_params.ts";

export const route = defineRoute({
  method: "PUT",
  path: "/api/alerts/:name",
  role: "operator",
  bodyLimit: 64 * 1024,
  summary:
    "Replace an alert rule (the whole rule; `webhook.secret` absent keeps the stored one, null removes it); audit alert_rule_update",
  request: { params: RuleParams, body: { json: AlertRuleUpdateSchema } },
  responses: {
    200: { json: AlertRuleViewSchema },
    400: "a field is invalid, or `name` differs from the path",
    404: "no such rule",
    409: "changed concurrently",
  },
  handler: async (c) =>
    c.json(
      await updateRule(deps(c), c.req.valid("param").name, c.req.valid("json"), caller(c)),
    ),
});
export default standalone(route);
