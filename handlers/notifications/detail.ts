import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { notificationDetail, NotificationDetailSchema } from "../../lib/reads/notifications.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/notifications/:id",
  role: "viewer",
  summary:
    "{notification, acks, audience, target} (audience: alive PCs of the target, confirmed or not) + status, progress; 404",
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: { json: NotificationDetailSchema }, 404: "never sent (or aged out)" },
  handler: async (c) => c.json(await notificationDetail(deps(c), c.req.valid("param").id)),
});
export default standalone(route);
