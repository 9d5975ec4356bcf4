/** The run history's cap (pure): finished runs go first, runs in progress never. */
import assert from "node:assert/strict";
import { pushRun } from "./run.ts";
import type { RunView } from "./types.ts";

const run = (id: string, running: boolean): RunView => ({
  resultId: id,
  requestId: `req-${id}`,
  execId: null,
  manifestId: "job",
  running,
  stdout: `out ${id}`,
  stderr: "",
  attempts: 1,
  exitCode: running ? null : 0,
  startedAt: "2026-12-05T00:00:00.000Z",
  finishedAt: running ? null : "2026-12-05T00:00:01.000Z",
});
const ids = (runs: RunView[]) => runs.map((r) => r.resultId);

Deno.test("pushRun keeps the newest runs up to the cap, dropping the oldest finished first", () => {
  const runs: RunView[] = [];
  for (const id of ["a", "b", "c"]) pushRun(runs, run(id, false), 2);
  assert.deepEqual(ids(runs), ["b", "c"]);
  pushRun(runs, run("d", true), 1);
  assert.deepEqual(ids(runs), ["d"]);
});

Deno.test("pushRun never drops a run in progress, however many came after it", () => {
  const runs: RunView[] = [run("long", true)];
  for (const id of ["x", "y", "z"]) {
    const v = run(id, true);
    pushRun(runs, v, 1);
    v.running = false; // finishes quickly, like most runs
  }
  assert.deepEqual(ids(runs), ["long", "z"]);
  runs[0].running = false;
  pushRun(runs, run("next", true), 1);
  assert.deepEqual(ids(runs), ["next"]);
});

Deno.test("pushRun with every run in progress goes over the cap rather than drop one", () => {
  const runs: RunView[] = [];
  for (const id of ["a", "b", "c"]) pushRun(runs, run(id, true), 1);
  assert.deepEqual(ids(runs), ["a", "b", "c"]);
});
