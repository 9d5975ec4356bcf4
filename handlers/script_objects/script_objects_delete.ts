import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteScriptObject } from "../../lib/catalog/script_objects.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/script-objects/:name/:version",
  role: "operator",
  summary: "Delete a script object (idempotent: absent → 204 too); audit",
  request: { params: pathParams("name", "version") },
  responses: { 204: "deleted (or was absent)" },
  handler: async (c) => {
    const { name, version } = c.req.valid("param");
    await deleteScriptObject(deps(c), name, version, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
