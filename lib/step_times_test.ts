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

Deno.test("StepTimes: concurrent spans keep start order, and the next mark starts at the latest end", async () => {
  const t = new StepTimes();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const [a, b] = await Promise.all([
    t.span("slow", sleep(60).then(() => "a")),
    t.span("fast", sleep(5).then(() => "b")),
  ]);
  assert.deepEqual([a, b], ["a", "b"]);
  t.mark("after");
  assert.deepEqual(t.steps.map((s) => s.name), ["slow", "fast", "after"]);
  assert.ok(t.steps[0].ms >= 55, `slow ${t.steps[0].ms} ms`);
  assert.ok(t.steps[1].ms < t.steps[0].ms, `fast ${t.steps[1].ms} ms`);
  assert.ok(t.steps[2].ms < 20, `after counted the spans again: ${t.steps[2].ms} ms`);
  // A span that fails is still timed, and its error reaches the caller.
  await assert.rejects(t.span("broken", Promise.reject(new Error("no"))), /no/);
  assert.equal(t.steps.at(-1)!.name, "broken");
});
