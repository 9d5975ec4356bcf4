import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listGroups } from "../../lib/fleet/groups.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/groups",
  role: "viewer",
  summary: "Fleet-wide groups: `{groups[{name, members[], has_config}]}`.",
  handler: async (c) => c.json({ groups: await listGroups(deps(c).nats) }),
});
export default standalone(route);
