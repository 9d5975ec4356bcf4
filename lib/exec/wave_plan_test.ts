import assert from "node:assert/strict";
import {
  CLAIM_STALE_MS,
  dueWaves,
  isPrunable,
  isSettled,
  nextDue,
  type WaveRecord,
  withWaveState,
} from "./wave_plan.ts";

const rec = (states: ("pending" | "published" | "skipped")[]): WaveRecord => ({
  exec_id: "e",
  job_id: "j",
  created_at: "2026-01-01T00:00:00Z",
  command: {},
  max_failures: null,
  waves: states.map((state, i) => ({
    index: i,
    group: `g${i}`,
    delay: `${i * 10}s`,
    due_at: new Date(Date.parse("2026-01-01T00:00:00Z") + i * 10_000).toISOString(),
    state,
    published_at: null,
    reason: null,
  })),
});

Deno.test("due waves, next due time, settled", () => {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const r = rec(["published", "pending", "pending"]);
  assert.deepEqual(dueWaves(r, t0 + 9_999).map((w) => w.index), []);
  assert.deepEqual(dueWaves(r, t0 + 10_000).map((w) => w.index), [1]);
  assert.deepEqual(dueWaves(r, t0 + 60_000).map((w) => w.index), [1, 2]);
  assert.equal(nextDue(r), t0 + 10_000);
  assert.equal(isSettled(r), false);
  assert.equal(nextDue(rec(["published", "skipped"])), null);
  assert.equal(isSettled(rec(["published", "skipped"])), true);
});

Deno.test("state transitions keep the other waves and record time / reason", () => {
  const r = rec(["pending", "pending"]);
  const a = withWaveState(r, 0, "published", "2026-01-01T00:00:01Z");
  assert.equal(a.waves[0].state, "published");
  assert.equal(a.waves[0].published_at, "2026-01-01T00:00:01Z");
  assert.equal(a.waves[1].state, "pending");
  assert.equal(r.waves[0].state, "pending", "the input is not mutated");
  const b = withWaveState(a, 1, "skipped", null, "max_failures");
  assert.equal(b.waves[1].reason, "max_failures");
  assert.equal(b.waves[1].published_at, null);
  const back = withWaveState(a, 0, "pending", null);
  assert.equal(back.waves[0].state, "pending");
  assert.equal(back.waves[0].published_at, null, "a reverted claim forgets its publish time");
});

Deno.test("prunable: settled and older than the retention only", () => {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const day = 86_400_000;
  assert.equal(isPrunable(rec(["published", "skipped"]), t0 + 91 * day, 90), true);
  assert.equal(isPrunable(rec(["published", "skipped"]), t0 + 89 * day, 90), false);
  assert.equal(isPrunable(rec(["published", "pending"]), t0 + 365 * day, 90), false);
  assert.equal(isPrunable(rec(["published"]), t0 + 365 * day, 0), false, "0 keeps forever");
});

Deno.test("a `publishing` claim is due again once stale, and keeps the record unsettled", () => {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const base = rec(["pending", "pending"]);
  const claimed = withWaveState(base, 0, "publishing", new Date(t0).toISOString());
  assert.equal(claimed.waves[0].claimed_at, new Date(t0).toISOString());
  assert.equal(claimed.waves[0].published_at, null);
  assert.equal(isSettled(withWaveState(claimed, 1, "skipped", null, "x")), false);
  // Not due while the claim is fresh; due at exactly CLAIM_STALE_MS.
  assert.ok(!dueWaves(claimed, t0 + CLAIM_STALE_MS - 1).some((w) => w.index === 0));
  assert.ok(dueWaves(claimed, t0 + CLAIM_STALE_MS).some((w) => w.index === 0));
  assert.ok((nextDue(claimed) ?? Infinity) <= t0 + CLAIM_STALE_MS);
  const done = withWaveState(claimed, 0, "published", new Date(t0 + 5).toISOString());
  assert.equal(done.waves[0].state, "published");
  assert.ok(!dueWaves(done, t0 + 10 * CLAIM_STALE_MS).some((w) => w.index === 0));
});
