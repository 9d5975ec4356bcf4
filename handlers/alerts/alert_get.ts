import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getRule } from "../../lib/alerts/rules.ts";
import { AlertRuleViewSchema } from "../../lib/alerts/model.ts";
import { RuleParams } from "./_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/alerts/:name",
  role: "viewer",
  summary: "One alert rule with its delivery counts and latest delivery (no secret)",
  request: { params: RuleParams },
  responses: { 200: { json: AlertRuleViewSchema }, 404: "no such rule" },
  handler: async (c) => c.json(await getRule(deps(c), c.req.valid("param").name, caller(c))),
});
export default standalone(route);
