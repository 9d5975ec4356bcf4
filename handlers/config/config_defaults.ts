import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";
import { CONFIG_DEFAULTS, EffectiveConfigSchema } from "../../wire/config_scope.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/config/defaults",
  role: "viewer",
  summary: "The built-in effective config every scope layers on (static, no KV read).",
  responses: { 200: { json: EffectiveConfigSchema } },
  handler: (c) => c.json(CONFIG_DEFAULTS),
});
export default standalone(route);
