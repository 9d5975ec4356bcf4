import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { APP_PACKAGE_BODY_LIMIT, uploadPackage } from "../../lib/app_packages/store.ts";

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
  handler: async (c) => {
    const out = await uploadPackage(
      deps(c),
      c.req.param("name") ?? "",
      c.req.param("version") ?? "",
      c.req.raw,
      caller(c),
    );
    return c.json(out);
  },
});
export default standalone(route);
