import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { openDownload } from "../../lib/app_packages/download.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/app-packages/:name/:version",
  role: "viewer",
  // The handler returns as soon as the first bytes can flow; the body streams after.
  summary:
    "Download (streamed; HEAD too): ETag = digest, Range → 206, If-Match → 412, If-None-Match → 304, bad range → 416; 404",
  request: { params: z.object({ name: z.string(), version: z.string() }) },
  responses: {
    200: {
      content: { "application/octet-stream": z.unknown() },
      headers: {
        "ETag": "strong, the object's digest",
        "Content-Length": "bytes in this response",
        "Accept-Ranges": "bytes",
        "Content-Disposition": 'attachment; filename="<name>-<version>"',
      },
    },
    206: {
      content: { "application/octet-stream": z.unknown() },
      headers: { "Content-Range": "bytes N-M/total" },
    },
    304: "If-None-Match names the current ETag",
    404: "no such package",
    412: "If-Match names another ETag",
    416: {
      description: "a range that cannot be served",
      headers: { "Content-Range": "bytes */total" },
    },
  },
  handler: async (c) => {
    const { name, version } = c.req.valid("param");
    const d = await openDownload(deps(c), name, version, {
      range: c.req.header("range") ?? null,
      ifMatch: c.req.header("if-match") ?? null,
      ifNoneMatch: c.req.header("if-none-match") ?? null,
      ifRange: c.req.header("if-range") ?? null,
      head: c.req.method === "HEAD",
    });
    return new Response(d.body, { status: d.status, headers: d.headers });
  },
});
export default standalone(route);
