import { z } from "zod";
import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  APP_PACKAGE_BODY_LIMIT,
  PackageInfoSchema,
  uploadPackage,
} from "../../lib/app_packages/store.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/app-packages/:name/:version",
  role: "operator",
  bodyLimit: APP_PACKAGE_BODY_LIMIT,
  streamBody: true,
  // GiB over slow links: no overall deadline; an upload idle for 2 min is abandoned.
  timeoutMs: 0,
  summary:
    "Upload multipart `file` (≤ 8 GiB, streamed into app_packages, replaces atomically); {name, version, size, digest}; audit app_package_publish",
  request: {
    params: z.object({ name: z.string(), version: z.string() }),
    // Read by the handler as a stream (never buffered), not at the edge.
    body: { multipart: z.object({ file: z.unknown() }), description: "field `file`" },
  },
  responses: {
    200: { json: PackageInfoSchema },
    400: "name rules; missing, empty or repeated `file` field; not multipart",
    408: "the upload sent nothing for 2 minutes",
    413: "body over 8 GiB",
    503: "object store app_packages missing",
  },
  handler: async (c) => {
    const { name, version } = c.req.valid("param");
    return c.json(await uploadPackage(deps(c), name, version, c.req.raw, caller(c)));
  },
});
export default standalone(route);
