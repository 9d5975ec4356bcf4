import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteScopeResponse } from "./_config_scope.ts";
import { pcParam } from "./_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/pcs/:pc_id/config",
  role: "operator",
  summary: "Remove the config scope of one pc (204, idempotent).",
  handler: (c) => deleteScopeResponse(c, { type: "pc", value: pcParam(c) }),
});
export default standalone(route);
