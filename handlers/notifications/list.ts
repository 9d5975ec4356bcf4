import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
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
  responses: {
    200: {
      json: z.array(NotificationRowSchema),
      headers: { "X-Total-Count": "notifications matching q" },
    },
  },
  handler: async (c) => {
    const page = await listNotifications(deps(c).db, c.req.valid("query"));
    c.header("X-Total-Count", String(page.total));
    return c.json(page.rows);
  },
});
export default standalone(route);
