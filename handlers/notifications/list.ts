import { defineRoute, deps, pagedResponse, sendPage } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  listNotifications,
  NotificationQuerySchema,
  NotificationRowSchema,
} from "../../lib/reads/notifications.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/notifications",
  role: "viewer",
  summary:
    "sent notifications, newest first, with status and acked PCs; q, limit 1..500, offset; X-Total-Count",
  request: { query: NotificationQuerySchema },
  responses: { 200: pagedResponse(NotificationRowSchema, "notifications matching q") },
  handler: async (c) => sendPage(c, await listNotifications(deps(c).db, c.req.valid("query"))),
});
export default standalone(route);
