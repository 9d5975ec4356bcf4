import { z } from "zod";
import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { fetchAgentLogs, LOGS_DEFAULT_TAIL, LOGS_MAX_TAIL } from "../../lib/fleet/agent_rpc.ts";
import { limitParam } from "../../lib/reads/params.ts";
import { pcTokenParam } from "../_params.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id/logs",
  role: "viewer",
  summary:
    "Tail of the agent's log (text/plain) via `logs.fetch.<pc>`; `tail` default 500 (1-100000); 504 timeout (10 s), 502 request error.",
  request: {
    params: pathParams("pc_id"),
    query: z.object({ tail: limitParam(LOGS_DEFAULT_TAIL, LOGS_MAX_TAIL) }),
  },
  responses: {
    200: {
      description: "the last `tail` lines of the agent's log",
      content: { "text/plain": z.string() },
    },
    502: "the request to the agent failed",
    504: "the agent did not answer in 10 s",
  },
  handler: async (c) => {
    const pcId = pcTokenParam(c);
    const body = await fetchAgentLogs(deps(c).nats, pcId, c.req.valid("query").tail);
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "text/plain; charset=utf-8",
    });
  },
});
export default standalone(route);
