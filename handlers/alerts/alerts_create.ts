import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { createRule } from "../../lib/alerts/rules.ts";
import { AlertRuleCreateSchema, AlertRuleViewSchema } from "../../lib/alerts/model.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/alerts",
  role: "operator",
  bodyLimit: 64 * 1024,
  summary:
    "Create an alert rule `{name, events, scope, webhook{url, secret?, timeout_ms, max_attempts}, rate_limit, checks, enabled}` → 201; 409 when the name exists; audit alert_rule_create",
  request: { body: { json: AlertRuleCreateSchema } },
  responses: {
    201: { json: AlertRuleViewSchema },
    400: "a field is invalid (nothing written)",
    409: "a rule of that name exists",
  },
  handler: async (c) => c.json(await createRule(deps(c), c.req.valid("json"), caller(c)), 201),
});
export default standalone(route);
