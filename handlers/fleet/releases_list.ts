import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listReleases } from "../../lib/fleet/releases.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/releases",
  role: "viewer",
  summary:
    "Published agent releases `[{version, platform, size, digest, modified}]`, newest first.",
  handler: async (c) => c.json(await listReleases(deps(c).nats)),
});
export default standalone(route);
