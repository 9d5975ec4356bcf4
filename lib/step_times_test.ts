import assert from "node:assert/strict";
import { StepTimes } from "./step_times.ts";

Deno.test("StepTimes: each mark times the step since the previous one, in order", async () => {
  const t = new StepTimes();
  await new Promise((r) => setTimeout(r, 30));
  t.mark("resolve");
  t.mark("insert");
  assert.deepEqual(t.steps.map((s) => s.name), ["resolve", "insert"]);
  assert.ok(t.steps[0].ms >= 25, `first step ${t.steps[0].ms} ms`);
  assert.ok(t.steps[1].ms < t.steps[0].ms);
  assert.match(t.header(), /^resolve;dur=\d+\.\d, insert;dur=\d+\.\d$/);
  assert.deepEqual(Object.keys(t.record()), ["resolve", "insert"]);
});
