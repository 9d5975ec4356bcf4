import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listPackages, PackageInfoSchema } from "../../lib/app_packages/store.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/app-packages",
  role: "viewer",
  summary: "[{name, version, size, digest, modified}] from object store app_packages, newest first",
  responses: {
    200: { json: z.array(PackageInfoSchema) },
    503: "object store app_packages missing",
  },
  handler: async (c) => c.json(await listPackages(deps(c))),
});
export default standalone(route);
