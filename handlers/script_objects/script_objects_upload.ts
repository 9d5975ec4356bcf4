import { z } from "zod";
import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { badRequest } from "../../lib/errors.ts";
import {
  checkPart,
  SCRIPT_OBJECT_BODY_LIMIT,
  ScriptObjectInfoSchema,
  uploadScriptObject,
} from "../../lib/catalog/script_objects.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/script-objects/:name/:version",
  role: "operator",
  bodyLimit: SCRIPT_OBJECT_BODY_LIMIT,
  // Large uploads over slow links must not be cut by the default request timeout.
  timeoutMs: 600_000,
  summary: "Upload a script body (multipart field `file`, ≤ 4 MiB) as <name>/<version>; audit",
  request: {
    params: pathParams("name", "version"),
    body: { multipart: z.object({ file: z.file().meta({ description: "the script body" }) }) },
  },
  responses: { 200: { json: ScriptObjectInfoSchema }, 413: "the body is over 4 MiB" },
  handler: async (c) => {
    const p = c.req.valid("param");
    const name = checkPart("name", p.name);
    const version = checkPart("version", p.version);
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      throw badRequest("expected a multipart/form-data body with a `file` field");
    }
    const file = form.get("file");
    if (!(file instanceof File)) throw badRequest("multipart field `file` is missing");
    const data = new Uint8Array(await file.arrayBuffer());
    return c.json(await uploadScriptObject(deps(c), name, version, data, caller(c)));
  },
});
export default standalone(route);
