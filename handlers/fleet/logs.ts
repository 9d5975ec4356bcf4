import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  clampInt,
  fetchAgentLogs,
  LOGS_DEFAULT_TAIL,
  LOGS_MAX_TAIL,
} from "../../lib/fleet/agent_rpc.ts";
import { pcTokenParam } from "./_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/logs",
  role: "viewer",
  summary:
    "Tail of the agent's log (text/plain) via `logs.fetch.<pc>`; `tail` default 500 (1-100000); 504 timeout (10 s), 502 request error.",
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    const tail = clampInt(c.req.query("tail"), "tail", LOGS_DEFAULT_TAIL, 1, LOGS_MAX_TAIL);
    const body = await fetchAgentLogs(deps(c).nats, pcId, tail);
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "text/plain; charset=utf-8",
    });
  },
});
export default standalone(route);
