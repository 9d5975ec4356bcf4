import { z } from "zod";
import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  PING_DEFAULT_WAIT_SECS,
  PING_MAX_WAIT_SECS,
  pingAgent,
  PingAnswerSchema,
} from "../../lib/fleet/agent_rpc.ts";
import { limitParam } from "../../lib/reads/params.ts";
import { pcTokenParam } from "../_params.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/agents/:pc_id/ping",
  role: "operator",
  // The wait is bounded by wait_secs (<= 120 s), longer than the default request timeout.
  timeoutMs: 0,
  summary:
    "Request `agents.<pc>.ping` (no responder: wait for its next heartbeat); 200 `{heartbeat}`; 408 after `wait_secs` (default 45, 1-120).",
  request: {
    params: pathParams("pc_id"),
    query: z.object({ wait_secs: limitParam(PING_DEFAULT_WAIT_SECS, PING_MAX_WAIT_SECS) }),
  },
  responses: {
    200: { json: PingAnswerSchema },
    408: "no heartbeat within `wait_secs`",
    502: "the agent answered with something that is not a heartbeat",
  },
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    return c.json(await pingAgent(deps(c).nats, pcId, c.req.valid("query").wait_secs));
  },
});
export default standalone(route);
