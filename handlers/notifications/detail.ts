import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { notificationDetail } from "../../lib/notifications/reads.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/notifications/:id",
  role: "viewer",
  summary:
    "{notification, acks, audience, target} (audience: alive PCs of the target, confirmed or not) + status, progress; 404",
  handler: async (c) => c.json(await notificationDetail(deps(c), c.req.param("id") ?? "")),
});
export default standalone(route);
