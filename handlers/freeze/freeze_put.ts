import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { setFreeze } from "../../lib/schedules/service.ts";
import { FreezeInputSchema, FreezeStateSchema } from "../../wire/freeze.ts";

export const route = defineRoute({
  method: "PUT",
  path: "/api/freeze",
  role: "operator",
  summary:
    "Set the fleet freeze {from?, until?, reason?, tz}; {} = indefinitely; bounds validated (400); audit freeze_set",
  request: {
    body: {
      json: FreezeInputSchema,
      optional: true,
      description: "bounds as RFC 3339 or local wall-clock times in `tz`; empty = from now on",
    },
  },
  responses: { 200: { json: FreezeStateSchema } },
  handler: async (c) => c.json(await setFreeze(deps(c), c.req.valid("json"), caller(c))),
});
export default standalone(route);
