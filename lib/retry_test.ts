import assert from "node:assert/strict";
import { retryWhile } from "./retry.ts";

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
