import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listScriptObjects, ScriptObjectInfoSchema } from "../../lib/catalog/script_objects.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/script-objects",
  role: "viewer",
  summary: "Script objects in object store scripts: [{key, name, version, size, sha256, modified}]",
  responses: { 200: { json: z.array(ScriptObjectInfoSchema) } },
  handler: async (c) => c.json(await listScriptObjects(deps(c))),
});
export default standalone(route);
