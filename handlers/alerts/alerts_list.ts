import { z } from "zod";
import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listRules } from "../../lib/alerts/rules.ts";
import { AlertRuleViewSchema } from "../../lib/alerts/model.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/alerts",
  role: "viewer",
  summary:
    "Alert rules by name, each with its delivery counts and latest delivery: `{rules}`; no secret (`has_secret`), the URL redacted for viewers",
  responses: { 200: { json: z.strictObject({ rules: z.array(AlertRuleViewSchema) }) } },
  handler: async (c) => c.json({ rules: await listRules(deps(c), caller(c)) }),
});
export default standalone(route);
