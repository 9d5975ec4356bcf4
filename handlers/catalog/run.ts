import { caller, defineRoute, deps, readJson } from "../route.ts";
import { standalone } from "../standalone.ts";
import { adhocRun, RunInputSchema } from "../../lib/exec/run.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/run",
  role: "operator",
  // The wait is bounded by timeout_secs + 10 s inside the handler.
  timeoutMs: 0,
  summary:
    "Ad-hoc script on one PC: subscribe results.<request_id>, publish commands.pc.<pc_id>, answer the ExecResult; 408 on timeout",
  handler: async (c) => {
    const input = await readJson(c, RunInputSchema);
    return c.json(await adhocRun(deps(c), input, { caller: caller(c) }));
  },
});
export default standalone(route);
