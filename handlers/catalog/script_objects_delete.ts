import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteScriptObject } from "../../lib/catalog/script_objects.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/script-objects/:name/:version",
  role: "operator",
  summary: "Delete a script object (idempotent: absent → 204 too); audit",
  handler: async (c) => {
    await deleteScriptObject(
      deps(c),
      c.req.param("name") ?? "",
      c.req.param("version") ?? "",
      caller(c),
    );
    return c.body(null, 204);
  },
});
export default standalone(route);
