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
  handler: async (c) => {
    const d = await openDownload(deps(c), c.req.param("name") ?? "", c.req.param("version") ?? "", {
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
