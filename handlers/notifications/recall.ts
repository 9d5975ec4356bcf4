import { z } from "zod";
import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { recallNotification } from "../../lib/notifications/withdraw.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/notifications/:id/recall",
  role: "operator",
  summary:
    "Withdraw a notification: copies deleted from NOTIFICATIONS, {id, op:{kind:recall}} on notif-amend; 204; 404; 409 already withdrawn; audit notification.recall",
  request: { params: z.object({ id: z.string() }) },
  responses: {
    204: "recalled",
    404: "never sent",
    409: "already recalled or expired",
    502: "a copy could not be deleted; retry",
  },
  handler: async (c) => {
    await recallNotification(deps(c), c.req.valid("param").id, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
