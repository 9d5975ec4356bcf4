import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { ackStatus } from "../../lib/notifications/reads.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/notifications/:id/ack_status",
  role: "viewer",
  summary: "{id, acks:[{pc_id, user_sid, acked_at, account?}]}; an empty list is not a 404",
  handler: async (c) => c.json(await ackStatus(deps(c).db, c.req.param("id") ?? "")),
});
export default standalone(route);
