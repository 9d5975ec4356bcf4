import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  clampInt,
  PING_DEFAULT_WAIT_SECS,
  PING_MAX_WAIT_SECS,
  pingAgent,
} from "../../lib/fleet/agent_rpc.ts";
import { pcTokenParam } from "./_params.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/agents/:pc_id/ping",
  role: "operator",
  // The wait is bounded by wait_secs (<= 120 s), longer than the default request timeout.
  timeoutMs: 0,
  summary:
    "Request `agents.<pc>.ping` (no responder: wait for its next heartbeat); 200 `{heartbeat}`; 408 after `wait_secs` (default 45, clamped 1-120).",
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    const wait = clampInt(
      c.req.query("wait_secs"),
      "wait_secs",
      PING_DEFAULT_WAIT_SECS,
      1,
      PING_MAX_WAIT_SECS,
    );
    return c.json(await pingAgent(deps(c).nats, pcId, wait));
  },
});
export default standalone(route);
