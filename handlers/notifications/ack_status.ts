import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { ackStatus, AckStatusSchema } from "../../lib/reads/notifications.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/notifications/:id/ack_status",
  role: "viewer",
  summary: "{id, acks:[{pc_id, user_sid, acked_at, account?}]}; an empty list is not a 404",
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { json: AckStatusSchema } },
  handler: async (c) => c.json(await ackStatus(deps(c).db, c.req.valid("param").id)),
});
export default standalone(route);
