import assert from "node:assert/strict";
import { HOLD_MS, ResultsProgress, shouldHold, SLACK_MS } from "./results_progress.ts";
import { dbTs } from "../wire/time.ts";

const base = { nowMs: 10_000, newestEventMs: 9_000, watermarkMs: 0, backlog: 500, holdMs: HOLD_MS };

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
});

Deno.test("ResultsProgress: a wait ends at the watermark, at the hold limit, or at stop", async () => {
  const now = Date.now();
  const p = new ResultsProgress(60_000, 5);
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
  const short = new ResultsProgress(40, 5);
  short.committed([dbTs(now - 5_000)], 100);
  const t0 = Date.now();
  await short.waitFor([dbTs(t0)]);
  assert.ok(Date.now() - t0 >= 30, "waited about the hold limit");

  // stop() releases a wait at once.
  const stopped = new ResultsProgress(60_000, 5);
  stopped.committed([dbTs(now - 5_000)], 100);
  const w2 = stopped.waitFor([dbTs(Date.now())]);
  stopped.stop();
  await w2;
});
