import { z } from "zod";
import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { downloadScriptObject } from "../../lib/catalog/script_objects.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/script-objects/:name/:version",
  role: "viewer",
  summary: "Download a script object's bytes; 404 when absent",
  request: { params: pathParams("name", "version") },
  responses: {
    200: {
      description: "the script body",
      content: { "application/octet-stream": z.file() },
      headers: { "content-disposition": "attachment; filename=<name>-<version>" },
    },
    404: "no such script object",
  },
  handler: async (c) => {
    const { name, version } = c.req.valid("param");
    const data = await downloadScriptObject(deps(c), name, version);
    return c.body(data as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${encodeURIComponent(`${name}-${version}`)}"`,
    });
  },
});
export default standalone(route);
