import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listReleases, ReleaseRowSchema } from "../../lib/fleet/releases.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/releases",
  role: "viewer",
  summary:
    "Published agent releases `[{version, platform, size, digest, modified}]`, newest first.",
  responses: { 200: { json: z.array(ReleaseRowSchema) } },
  handler: async (c) => c.json(await listReleases(deps(c).nats)),
});
export default standalone(route);
