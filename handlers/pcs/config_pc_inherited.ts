import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { inheritedConfig } from "../../lib/fleet/config_store.ts";
import { EffectiveConfigSchema } from "../../wire/config_scope.ts";
import { pcParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/pcs/:pc_id/config/inherited",
  role: "viewer",
  summary:
    "The effective config a PC inherits without its own scope: built-in → global → its groups.",
  request: { params: z.object({ pc_id: z.string() }) },
  responses: { 200: { json: EffectiveConfigSchema }, 400: "invalid pc id" },
  handler: async (c) =>
    c.json(await inheritedConfig(deps(c).nats, { type: "pc", value: pcParam(c) })),
});
export default standalone(route);
