import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listDeliveries } from "../../lib/alerts/store.ts";
import { DeliverySchema, DeliveryStatusSchema, RULE_NAME_RE } from "../../lib/alerts/model.ts";
import { limitParam } from "../../lib/reads/params.ts";
import { badRequest } from "../../lib/errors.ts";
import { RuleParams } from "./_params.ts";

export const DeliveriesQuerySchema = z.object({
  status: z.preprocess((v) => (v === "" ? undefined : v), DeliveryStatusSchema.optional()),
  limit: limitParam(100, 1000),
  before: limitParam(0, Number.MAX_SAFE_INTEGER, 0).meta({
    description: "page: only deliveries with a smaller id (0 = newest)",
  }),
});

export const route = defineRoute({
  method: "GET",
  path: "/api/alerts/:name/deliveries",
  role: "viewer",
  summary:
    "A rule's deliveries, newest first: `{deliveries[{id, event, event_key, pc_id, check_name, status, attempts, last_status, last_error, created_at, updated_at, payload}]}`; status, limit 1..1000 (100), before",
  request: { params: RuleParams, query: DeliveriesQuerySchema },
  responses: { 200: { json: z.strictObject({ deliveries: z.array(DeliverySchema) }) } },
  handler: async (c) => {
    const name = c.req.valid("param").name;
    if (!RULE_NAME_RE.test(name)) throw badRequest(`invalid alert rule name '${name}'`);
    const q = c.req.valid("query");
    return c.json({
      deliveries: await listDeliveries(deps(c).db, name, {
        status: q.status,
        limit: q.limit,
        before: q.before || undefined,
      }),
    });
  },
});
export default standalone(route);
