import { caller, defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { notFound } from "../../lib/errors.ts";
import { checkJobId, fetchJob } from "../../lib/catalog/jobs.ts";
import { dispatchExec, ExecResponseSchema } from "../../lib/exec/dispatch.ts";
import { countTarget } from "../../lib/exec/plan.ts";
import { FanoutPlanSchema } from "../../wire/fanout.ts";
import { StepTimes } from "../../lib/step_times.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/exec/:job_id",
  role: "operator",
  // 10,000 explicit PCs in one plan is a realistic body.
  bodyLimit: 4 * 1024 * 1024,
  summary:
    "Fire a catalog job at a FanoutPlan (target / rollout waves / jitter): one exec_id, one request_id; audit exec",
  request: {
    params: pathParams("job_id"),
    body: { json: FanoutPlanSchema, description: "where and how to fan the job out" },
  },
  responses: {
    200: { json: ExecResponseSchema },
    404: "the job is not in the catalog",
    502: "persisting or publishing the commands failed",
  },
  handler: async (c) => {
    const jobId = checkJobId(c.req.valid("param").job_id);
    const plan = c.req.valid("json");
    const d = deps(c);
    const times = new StepTimes();
    // target_count needs only the plan: resolved while the job is looked up.
    const targetCount = times.span("resolve", countTarget(d, plan, jobId));
    const manifest = await fetchJob(d, jobId);
    times.mark("job");
    if (!manifest) {
      throw notFound(
        `job '${jobId}' not found in catalog — register it first with \`kanade job create <manifest.yaml>\``,
      );
    }
    const out = await dispatchExec(d, {
      manifest,
      plan,
      actor: "operator",
      caller: caller(c),
      targetCount,
      times,
    });
    // Which step was slow, for an operator's browser tools and the scale benchmark.
    c.header("Server-Timing", times.header());
    return c.json(out);
  },
});
export default standalone(route);
