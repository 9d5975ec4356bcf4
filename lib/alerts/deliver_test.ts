import assert from "node:assert/strict";
import { type AttemptOutcome, deliver } from "./deliver.ts";
import { startReceiver } from "../../tests/helpers/webhook_receiver.ts";

const webhook = (url: string, over: Record<string, unknown> = {}) => ({
  webhook: { url, secret: null, timeout_ms: 5000, max_attempts: 4, ...over },
});

Deno.test("deliver(): a resumed delivery counts the attempts made before", async () => {
  const rx = startReceiver();
  try {
    const seen: [number, boolean, boolean][] = [];
    const out = await deliver(webhook(rx.url("/flaky/1")), "{}", "k1", "check_fail", {
      done: 2,
      firstPauseMs: 10,
      maxPauseMs: 20,
      onAttempt: (n, o, final) => (seen.push([n, o.ok, final]), Promise.resolve()),
    });
    assert.equal(out.ok, true);
    assert.deepEqual(seen, [[3, false, false], [4, true, true]]);
    assert.deepEqual(rx.on("/flaky/1").map((h) => h.headers.get("x-kanade-attempt")), ["3", "4"]);
  } finally {
    await rx.stop();
  }
});

Deno.test("deliver(): a stop cuts the attempt under way short and records nothing", async () => {
  const rx = startReceiver();
  try {
    const ac = new AbortController();
    const seen: AttemptOutcome[] = [];
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 100);
    const out = await deliver(webhook(rx.url("/slow")), "{}", "k2", "check_fail", {
      firstPauseMs: 10,
      maxPauseMs: 20,
      signal: ac.signal,
      onAttempt: (_n, o) => (seen.push(o), Promise.resolve()),
    });
    assert.ok(Date.now() - t0 < 1000, "did not wait for the slow receiver");
    assert.deepEqual(out, { ok: false, status: null, error: "stopped", retriable: true });
    assert.deepEqual(seen, [], "the interrupted attempt is not recorded");
  } finally {
    await rx.stop();
  }
});
