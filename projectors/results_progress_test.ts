import assert from "node:assert/strict";
import {
  ACK_MARGIN_MS,
  HOLD_MS,
  ResultsProgress,
  shouldHold,
  SLACK_MS,
} from "./results_progress.ts";
import { dbTs } from "../wire/time.ts";

const base = {
  nowMs: 10_000,
  newestEventMs: 9_000,
  oldestEventMs: 8_000,
  ackWaitMs: 30_000,
  watermarkMs: 0,
  backlog: 500,
  holdMs: HOLD_MS,
};

Deno.test("shouldHold: starts wait only while results lag behind them", () => {
  assert.equal(shouldHold(base), true, "results backlog, watermark behind");
  assert.equal(shouldHold({ ...base, backlog: 0 }), false, "no results backlog");
  assert.equal(
    shouldHold({ ...base, watermarkMs: base.newestEventMs + SLACK_MS }),
    false,
    "results published up to the start + slack are in",
  );
  assert.equal(
    shouldHold({ ...base, watermarkMs: base.newestEventMs + SLACK_MS - 1 }),
    true,
  );
  assert.equal(
    shouldHold({ ...base, nowMs: base.newestEventMs + HOLD_MS }),
    false,
    "held long enough",
  );
  assert.equal(
    shouldHold({ ...base, nowMs: base.newestEventMs + HOLD_MS - 1 }),
    true,
    "inside the hold and the ack wait",
  );
});

Deno.test("shouldHold: a held start is never redelivered (the ack wait counts from its publish)", () => {
  // A batch gathered over a while: its oldest event reaches the ack wait (less the margin
  // left for the commit) before its newest reaches the hold limit.
  const s = { ...base, oldestEventMs: 0, newestEventMs: 15_000 };
  assert.equal(shouldHold({ ...s, nowMs: 30_000 - ACK_MARGIN_MS - 1 }), true);
  assert.equal(shouldHold({ ...s, nowMs: 30_000 - ACK_MARGIN_MS }), false);
  // A short ack wait leaves no room to hold at all.
  assert.equal(shouldHold({ ...base, ackWaitMs: ACK_MARGIN_MS }), false);
});

Deno.test("ResultsProgress: a wait ends at the watermark, at the hold limit, or at stop", async () => {
  const now = Date.now();
  const p = new ResultsProgress(120_000, 60_000, 5);
  // Backlog and an old watermark: a start of now waits...
  p.committed([dbTs(now - 5_000)], 100);
  let done = false;
  const w = p.waitFor([dbTs(now)]).then(() => done = true);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(done, false, "held while the results lag");
  // ...until a committed batch passes it.
  p.committed([dbTs(now + SLACK_MS)], 50);
  await w;

  // The hold limit counts from the event's publish time.
  const short = new ResultsProgress(120_000, 40, 5);
  short.committed([dbTs(now - 5_000)], 100);
  const t0 = Date.now();
  await short.waitFor([dbTs(t0)]);
  assert.ok(Date.now() - t0 >= 30, "waited about the hold limit");

  // The ack wait ends a hold too: an oldest event published 200 ms before the ack-wait
  // limit is released after about 200 ms although the hold limit is a minute away.
  const acked = new ResultsProgress(ACK_MARGIN_MS + 200, 60_000, 5);
  acked.committed([dbTs(now - 5_000)], 100);
  const t1 = Date.now();
  await acked.waitFor([dbTs(t1), dbTs(t1 + 10)]);
  const waited = Date.now() - t1;
  assert.ok(waited >= 150 && waited < 5_000, `released by the ack wait after ${waited} ms`);

  // stop() releases a wait at once.
  const stopped = new ResultsProgress(120_000, 60_000, 5);
  stopped.committed([dbTs(now - 5_000)], 100);
  const w2 = stopped.waitFor([dbTs(Date.now())]);
  stopped.stop();
  await w2;
});
