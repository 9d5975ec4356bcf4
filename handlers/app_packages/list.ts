import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listPackages } from "../../lib/app_packages/store.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/app-packages",
  role: "viewer",
  summary: "[{name, version, size, digest, modified}] from object store app_packages, newest first",
  handler: async (c) => c.json(await listPackages(deps(c))),
});
export default standalone(route);
