import { caller, defineRoute, deps, readJson } from "../route.ts";
import { standalone } from "../standalone.ts";
import { PublishNotificationSchema } from "../../wire/notifications.ts";
import { publishNotification } from "../../lib/notifications/publish.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/notifications",
  role: "operator",
  summary:
    "Send an end-user notification to notifications.all/group.<g>/pc.<pc> (JetStream acks); {id, subjects}; 502 when every publish fails; audit notification",
  handler: async (c) => {
    const req = await readJson(c, PublishNotificationSchema);
    return c.json(await publishNotification(deps(c), req, caller(c)));
  },
});
export default standalone(route);
