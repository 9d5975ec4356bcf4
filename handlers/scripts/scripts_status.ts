import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listScriptStatus, ScriptStatusMapSchema } from "../../lib/catalog/script_status.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/scripts/status",
  role: "viewer",
  summary: '{<job id>: "ACTIVE"|"REVOKED"} from KV script_status; {} without the bucket',
  responses: { 200: { json: ScriptStatusMapSchema } },
  handler: async (c) => c.json(await listScriptStatus(deps(c))),
});
export default standalone(route);
