import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { downloadScriptObject } from "../../lib/catalog/script_objects.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/script-objects/:name/:version",
  role: "viewer",
  summary: "Download a script object's bytes; 404 when absent",
  handler: async (c) => {
    const name = c.req.param("name") ?? "";
    const version = c.req.param("version") ?? "";
    const data = await downloadScriptObject(deps(c), name, version);
    return c.body(data as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${encodeURIComponent(`${name}-${version}`)}"`,
    });
  },
});
export default standalone(route);
