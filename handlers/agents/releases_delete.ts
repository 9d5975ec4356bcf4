import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { checkVersion, deleteRelease } from "../../lib/fleet/releases.ts";
import { recordAudit } from "../../lib/audit.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/agents/releases/:version",
  role: "operator",
  summary: "Delete a release (204); 409 while a config scope targets it; 404 if absent.",
  request: { params: pathParams("version") },
  responses: { 204: "deleted", 404: "no such release", 409: "a config scope targets it" },
  handler: async (c) => {
    const version = checkVersion(c.req.valid("param").version);
    await deleteRelease(deps(c).nats, version);
    await recordAudit(deps(c).nats, {
      action: "agent_release_delete",
      target: version,
      payload: { version },
    }, caller(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
