import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { adhocRun, RunInputSchema } from "../../lib/exec/run.ts";
import { ExecResultSchema } from "../../wire/messages.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/run",
  role: "operator",
  // The wait is bounded by timeout_secs + 10 s inside the handler.
  timeoutMs: 0,
  summary:
    "Ad-hoc script on one PC: subscribe results.<request_id>, publish commands.pc.<pc_id>, answer the ExecResult; 408 on timeout",
  request: { body: { json: RunInputSchema } },
  responses: {
    200: { description: "the agent's ExecResult as it sent it", json: ExecResultSchema.loose() },
    408: "no result within timeout_secs + 10 s",
    502: "publishing the command failed",
  },
  handler: async (c) => c.json(await adhocRun(deps(c), c.req.valid("json"), { caller: caller(c) })),
});
export default standalone(route);
