import { z } from "zod";
import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deletePackage } from "../../lib/app_packages/store.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/app-packages/:name/:version",
  role: "operator",
  summary: "Delete a package; 204, 404 when absent; audit app_package_delete",
  request: { params: z.object({ name: z.string(), version: z.string() }) },
  responses: { 204: "deleted", 404: "no such package" },
  handler: async (c) => {
    const { name, version } = c.req.valid("param");
    await deletePackage(deps(c), name, version, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
