/**
 * The run history's cap (pure): finished runs go first, runs in progress never. And a run's
 * timeout, kill and retries against real timers.
 */
import assert from "node:assert/strict";
import { pushRun, RunCtl, type RunEnv, runWithRetries } from "./run.ts";
import { parseScript } from "./script.ts";
import type { Command } from "../wire/messages.ts";
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

const ENV: RunEnv = {
  pcId: "PC-1",
  latencyMs: 0,
  failRate: 0,
  rand: () => 0.5,
  realisticOutput: false,
};
const command = (over: Partial<Command>) =>
  ({ id: "job", exec_id: "exec-1", shell: "powershell", timeout_secs: 1, ...over }) as Command;
const started = () => new RunCtl({ ...run("r", true), attempts: 0 }, { online: true });

Deno.test("a run: a sleep past its timeout ends at the deadline with exit -1", async () => {
  const ctl = started();
  const t0 = Date.now();
  const out = await runWithRetries(ENV, command({}), parseScript("echo a\nsleep 5s\necho b"), ctl);
  const took = Date.now() - t0;
  assert.equal(out.exitCode, -1);
  assert.equal(out.stdout, "a\n");
  assert.equal(out.stderr, "timeout after 1s");
  assert.ok(took >= 950 && took < 3000, `took ${took} ms`);
  assert.equal(ctl.deadline, Infinity, "no deadline outlives its attempt");
});

Deno.test("a run: sleeps inside the deadline complete; no timeout means none", async () => {
  const out = await runWithRetries(
    ENV,
    command({}),
    parseScript("sleep 300\necho x\nsleep 300\necho y"),
    started(),
  );
  assert.deepEqual([out.exitCode, out.stdout, out.stderr], [0, "x\ny\n", ""]);
  const free = await runWithRetries(
    ENV,
    command({ timeout_secs: 0 }),
    parseScript("sleep 1200\necho z"),
    started(),
  );
  assert.deepEqual([free.exitCode, free.stdout, free.timedOut], [0, "z\n", false]);
});

Deno.test("a run: each attempt has its own deadline and the backoff between them none", async () => {
  const t0 = Date.now();
  const ctl = started();
  const out = await runWithRetries(
    ENV,
    command({ retry: { max: 1, backoff_secs: 1 } } as Partial<Command>),
    parseScript("echo try\nsleep 3s"),
    ctl,
  );
  const took = Date.now() - t0;
  assert.equal(ctl.view.attempts, 2);
  assert.equal(out.exitCode, -1);
  assert.equal(out.stdout, "try\n");
  assert.match(out.stderr, /^timeout after 1s\nfailed after 1 retries exhausted/);
  // Two 1 s attempts and the 1 s backoff: a deadline that cut the backoff would end at ~2 s.
  assert.ok(took >= 2900 && took < 6000, `took ${took} ms`);
});

Deno.test("a run: a kill wakes the sleep at once", async () => {
  const ctl = started();
  const t0 = Date.now();
  setTimeout(() => ctl.interrupt("kill"), 100);
  const out = await runWithRetries(
    ENV,
    command({ timeout_secs: 30 }),
    parseScript("sleep 10s"),
    ctl,
  );
  assert.equal(out.exitCode, -1);
  assert.equal(out.stderr, "killed by remote signal (kill.exec-1)");
  assert.ok(Date.now() - t0 < 2000);
});
