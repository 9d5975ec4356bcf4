import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { PublishNotificationSchema } from "../../wire/notifications.ts";
import { publishNotification, PublishResponseSchema } from "../../lib/notifications/publish.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/notifications",
  role: "operator",
  summary:
    "Send an end-user notification to notifications.all/group.<g>/pc.<pc> (JetStream acks); {id, subjects}; 502 when every publish fails; audit notification",
  request: { body: { json: PublishNotificationSchema } },
  responses: {
    200: { json: PublishResponseSchema },
    400: "upstream's rules: a target, a title, a future expires_at, subject-safe groups/PCs/id",
    409: "an operator-chosen id that was already sent",
    502: "every publish failed, or the send could not be recorded (withdrawn)",
  },
  handler: async (c) => c.json(await publishNotification(deps(c), c.req.valid("json"), caller(c))),
});
export default standalone(route);
