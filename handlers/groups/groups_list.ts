import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { GroupSummarySchema, listGroupsBody } from "../../lib/fleet/groups.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/groups",
  role: "viewer",
  summary: "Fleet-wide groups: `{groups[{name, members[], has_config}]}`.",
  responses: { 200: { json: z.strictObject({ groups: z.array(GroupSummarySchema) }) } },
  handler: async (c) =>
    c.body(await listGroupsBody(deps(c)), 200, { "content-type": "application/json" }),
});
export default standalone(route);
