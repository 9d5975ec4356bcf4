import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { GroupSummarySchema, listGroups } from "../../lib/fleet/groups.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/groups",
  role: "viewer",
  summary: "Fleet-wide groups: `{groups[{name, members[], has_config}]}`.",
  responses: { 200: { json: z.strictObject({ groups: z.array(GroupSummarySchema) }) } },
  handler: async (c) => c.json({ groups: await listGroups(deps(c)) }),
});
export default standalone(route);
