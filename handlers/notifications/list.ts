import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listNotifications, NotificationQuerySchema } from "../../lib/notifications/reads.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/notifications",
  role: "viewer",
  summary:
    "sent notifications, newest first, with status and acked PCs; q, limit 1..500, offset; X-Total-Count",
  handler: async (c) => {
    const page = await listNotifications(deps(c).db, readQuery(c, NotificationQuerySchema));
    c.header("X-Total-Count", String(page.total));
    return c.json(page.rows);
  },
});
export default standalone(route);
