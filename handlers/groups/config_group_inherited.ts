import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { inheritedConfig } from "../../lib/fleet/config_store.ts";
import { EffectiveConfigSchema } from "../../wire/config_scope.ts";
import { groupParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/groups/:name/config/inherited",
  role: "viewer",
  summary:
    "The effective config a group scope layers on: built-in → global (sibling groups and PCs are per PC).",
  request: { params: z.object({ name: z.string() }) },
  responses: { 200: { json: EffectiveConfigSchema }, 400: "invalid group name" },
  handler: async (c) =>
    c.json(await inheritedConfig(deps(c).nats, { type: "group", value: groupParam(c) })),
});
export default standalone(route);
