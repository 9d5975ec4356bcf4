import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getFreeze } from "../../lib/schedules/service.ts";
import { FreezeStateSchema } from "../../wire/freeze.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/freeze",
  role: "viewer",
  summary: "Fleet change freeze: {frozen (now, fails closed), freeze (stored Freeze or null)}",
  responses: { 200: { json: FreezeStateSchema } },
  handler: async (c) => c.json(await getFreeze(deps(c))),
});
export default standalone(route);
