import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deletePackage } from "../../lib/app_packages/store.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/app-packages/:name/:version",
  role: "operator",
  summary: "Delete a package; 204, 404 when absent; audit app_package_delete",
  handler: async (c) => {
    await deletePackage(
      deps(c),
      c.req.param("name") ?? "",
      c.req.param("version") ?? "",
      caller(c),
    );
    return c.body(null, 204);
  },
});
export default standalone(route);
