import assert from "node:assert/strict";
import { pause, retryWhile, withTimeout } from "./retry.ts";

const transientErr = new Error("busy");

Deno.test("retryWhile retries a transient failure with doubling pauses up to the cap", async () => {
  const pauses: number[] = [];
  let calls = 0;
  const v = await retryWhile(() => {
    calls++;
    return calls < 5 ? Promise.reject(transientErr) : Promise.resolve("ok");
  }, {
    transient: (e) => e === transientErr,
    until: Date.now() + 10_000,
    firstPauseMs: 1,
    maxPauseMs: 4,
    onRetry: (_e, p) => pauses.push(p),
  });
  assert.equal(v, "ok");
  assert.deepEqual(pauses, [1, 2, 4, 4]);
});

Deno.test("retryWhile throws at once on a lasting failure, and at the deadline", async () => {
  const lasting = new Error("bad");
  let calls = 0;
  await assert.rejects(
    () =>
      retryWhile(() => {
        calls++;
        return Promise.reject(lasting);
      }, {
        transient: (e) => e === transientErr,
        until: Date.now() + 10_000,
        firstPauseMs: 1,
        maxPauseMs: 1,
      }),
    lasting,
  );
  assert.equal(calls, 1);
  await assert.rejects(
    () =>
      retryWhile(() => Promise.reject(transientErr), {
        transient: () => true,
        until: Date.now() + 30,
        firstPauseMs: 5,
        maxPauseMs: 5,
      }),
    transientErr,
  );
});

Deno.test("retryWhile: maxAttempts, jitter within the nominal pause, attempt numbers", async () => {
  const seen: [number, number][] = [];
  const calls: number[] = [];
  await assert.rejects(
    () =>
      retryWhile((attempt) => {
        calls.push(attempt);
        return Promise.reject(transientErr);
      }, {
        transient: () => true,
        maxAttempts: 4,
        firstPauseMs: 2,
        maxPauseMs: 8,
        jitter: true,
        onRetry: (_e, p, attempt) => seen.push([attempt, p]),
      }),
    transientErr,
  );
  assert.deepEqual(calls, [1, 2, 3, 4]);
  assert.deepEqual(seen.map(([a]) => a), [1, 2, 3]);
  [2, 4, 8].forEach((nominal, i) => assert.ok(seen[i][1] >= 0 && seen[i][1] <= nominal));
});

Deno.test("retryWhile: an abort ends the pause at once and throws the last failure", async () => {
  const ctl = new AbortController();
  let calls = 0;
  const t0 = Date.now();
  const run = retryWhile(() => {
    calls++;
    if (calls === 1) setTimeout(() => ctl.abort(), 20);
    return Promise.reject(transientErr);
  }, { transient: () => true, firstPauseMs: 60_000, maxPauseMs: 60_000, signal: ctl.signal });
  await assert.rejects(run, transientErr);
  assert.equal(calls, 1, "no attempt after the abort");
  assert.ok(Date.now() - t0 < 5_000, "the minute-long pause did not run out");
});

Deno.test("pause() and withTimeout()", async () => {
  const ctl = new AbortController();
  ctl.abort();
  await pause(60_000, ctl.signal); // already aborted: returns at once
  assert.equal(await withTimeout(Promise.resolve(7), 1_000), 7);
  let late: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<number>((r) => (late = setTimeout(() => r(1), 200)));
  assert.equal(await withTimeout(slow, 10), undefined);
  clearTimeout(late);
});
