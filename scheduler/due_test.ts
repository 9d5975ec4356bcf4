import assert from "node:assert/strict";
import { claimVerdict, dueTicks, fireRetry, type NextRun, tickIds } from "./due.ts";

/** A per-second cron: the next whole second strictly after `ms`. */
const everySecond: NextRun = (ms) => Math.floor(ms / 1000) * 1000 + 1000;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const s = (n: number) => T0 + n * 1000;

Deno.test("dueTicks(): ticks after the cursor up to now, oldest first, inside the allowance", () => {
  // A wake a little after tick 3, cursor just after tick 1: ticks 2 and 3.
  assert.deepEqual(
    dueTicks({ next: everySecond, cursorMs: s(1) + 5, nowMs: s(3) + 20, allowedMs: 5_000 }),
    { ticks: [s(2), s(3)], late: 0 },
  );
  // A tick exactly at now is due; one exactly at the cursor was already started.
  assert.deepEqual(
    dueTicks({ next: everySecond, cursorMs: s(3), nowMs: s(4), allowedMs: 5_000 }).ticks,
    [s(4)],
  );
  // Now before the next tick (a timer that fired a little early): nothing, nothing late.
  assert.deepEqual(
    dueTicks({ next: everySecond, cursorMs: s(3), nowMs: s(4) - 1, allowedMs: 5_000 }),
    { ticks: [], late: 0 },
  );
  // The allowance boundary is inclusive: exactly allowedMs late still fires.
  assert.deepEqual(
    dueTicks({ next: everySecond, cursorMs: s(0), nowMs: s(12), allowedMs: 10_000 }),
    { ticks: [s(2), s(3), s(4), s(5), s(6), s(7), s(8), s(9), s(10), s(11), s(12)], late: 1 },
  );
});

Deno.test("dueTicks(): a stall longer than the allowance drops (and counts) only the too-late ticks", () => {
  const d = dueTicks({ next: everySecond, cursorMs: s(0), nowMs: s(40) + 300, allowedMs: 30_000 });
  assert.deepEqual(d.ticks, Array.from({ length: 30 }, (_, i) => s(11 + i)));
  assert.equal(d.late, 10, "ticks 1..10 are more than 30 s late");
  // A day-long gap: the walk is bounded, the due window still comes out whole.
  const far = dueTicks({
    next: everySecond,
    cursorMs: s(0),
    nowMs: s(86_400),
    allowedMs: 3_000,
    max: 1000,
  });
  assert.deepEqual(far.ticks, [s(86_397), s(86_398), s(86_399), s(86_400)]);
  assert.equal(far.late, 1000);
});

/**
 * Replays the engine's use of `dueTicks` for one or more processes: at each wake a leading
 * process starts the due ticks after its cursor and moves it; a process not leading moves
 * its cursor only to the edge of the allowance. Starting a tick = claiming it (`kv.create`):
 * the first claimer fires it, any later one finds it taken.
 */
function replay(
  wakes: { p: string; at: number; leader: boolean }[],
  allowedMs: number,
  registeredMs: number,
) {
  const cursor = new Map<string, number>();
  const claims = new Map<number, string>();
  const attempts: { p: string; tick: number; won: boolean }[] = [];
  for (const w of wakes) {
    const c = cursor.get(w.p) ?? registeredMs - 1;
    if (!w.leader) {
      cursor.set(w.p, Math.max(c, w.at - allowedMs - 1));
      continue;
    }
    const { ticks } = dueTicks({ next: everySecond, cursorMs: c, nowMs: w.at, allowedMs });
    cursor.set(w.p, Math.max(c, w.at));
    for (const t of ticks) {
      const won = !claims.has(t);
      if (won) claims.set(t, w.p);
      attempts.push({ p: w.p, tick: t, won });
    }
  }
  return { claims, attempts };
}

Deno.test("a lease lapse under CPU starvation: ticks passed over while not leading fire once, later", () => {
  // The loaded-CI case: the leader's renew was slow, so its own belief ran out (wakes at
  // 5.0, 6.0 and 7.0 see no leader); the renew then came back successful, which the lease
  // saw as a renewal, not a new acquisition, so no catch-up ran. The old engine dropped the
  // ticks of those wakes for good (5, 6 and 7 were lost). With the cursor, the next wake as
  // leader starts them (late, inside the 30 s starting_deadline).
  const wakes = [];
  for (let i = 1; i <= 12; i++) {
    wakes.push({ p: "A", at: s(i) + 3, leader: !(i >= 5 && i <= 7) });
  }
  const { claims, attempts } = replay(wakes, 30_000, s(0) + 500);
  assert.deepEqual([...claims.keys()], Array.from({ length: 12 }, (_, i) => s(i + 1)));
  assert.equal(attempts.length, 12, "each tick attempted once: never started twice");
  const late = attempts.filter((a) => a.tick >= s(5) && a.tick <= s(7));
  assert.deepEqual(late.map((a) => a.won), [true, true, true]);
});

Deno.test("two leaders with overlapping beliefs and a gap with no leader: every tick claimed once", () => {
  // A leads until 4, nobody leads 5..7 (election), B leads from 8 while A still believes it
  // leads until 9 (the overlap a stale belief allows), then A goes on as a follower.
  const wakes = [];
  for (let i = 1; i <= 15; i++) {
    wakes.push({ p: "A", at: s(i) + 2, leader: i <= 4 || i === 8 || i === 9 });
    wakes.push({ p: "B", at: s(i) + 7, leader: i >= 8 });
  }
  const { claims, attempts } = replay(wakes, 30_000, s(0) + 100);
  assert.deepEqual([...claims.keys()].sort((a, b) => a - b), [
    ...Array.from({ length: 15 }, (_, i) => s(i + 1)),
  ]);
  // Ticks 5..7 fell into the gap: the first wake of a leader after it (A at 8.002) fires them.
  assert.deepEqual([s(5), s(6), s(7), s(8)].map((t) => claims.get(t)), ["A", "A", "A", "A"]);
  // B's first wake as leader tried them too (its cursor was at the allowance edge) and lost
  // every claim: a second fire never happens, it is refused by the claim.
  const lost = attempts.filter((a) => !a.won);
  assert.ok(lost.length > 0 && lost.every((a) => a.p === "B" && a.tick <= s(9)));
  for (const t of claims.keys()) {
    assert.equal(attempts.filter((a) => a.tick === t && a.won).length, 1, `tick ${t} won once`);
  }
});

Deno.test("no leader for longer than the allowance: exactly the ticks past it are missed", () => {
  const wakes = [];
  for (let i = 1; i <= 20; i++) wakes.push({ p: "A", at: s(i) + 5, leader: i <= 2 || i >= 14 });
  const { claims } = replay(wakes, 5_000, s(0) + 100);
  const fired = [...claims.keys()].map((t) => (t - T0) / 1000);
  // At 14.005 the allowance reaches back to 9.005: ticks 3..9 are more than 5 s late.
  assert.deepEqual(fired, [1, 2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
});

Deno.test("tickIds(): one exec id and one request id per (schedule, tick), the same everywhere", async () => {
  const a = await tickIds("nightly", s(3));
  assert.deepEqual(await tickIds("nightly", s(3)), a, "any process, any attempt: same ids");
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(a.execId, uuid);
  assert.match(a.requestId, uuid);
  assert.notEqual(a.execId, a.requestId);
  const others = [
    await tickIds("nightly", s(4)),
    await tickIds("nightly", s(3) + 1),
    await tickIds("nightly2", s(3)),
    await tickIds("nightl", s(3)),
  ];
  const all = new Set([a, ...others].flatMap((x) => [x.execId, x.requestId]));
  assert.equal(all.size, 10, "no two ticks or schedules share an id");
});

Deno.test("fireRetry(): a repeat only when it cannot run the job twice", () => {
  const cases: [Parameters<typeof fireRetry>[0], boolean][] = [
    // Nothing went out (a store did not answer): run again.
    [{ invalid: false, published: false, idempotent: false }, true],
    [{ invalid: false, published: false, idempotent: true }, true],
    // A flush failed after the publish: the same Command again is harmless.
    [{ invalid: false, published: true, idempotent: true }, true],
    // A wave rollout that may have started: never again.
    [{ invalid: false, published: true, idempotent: false }, false],
    // Refused as invalid: it would be refused again.
    [{ invalid: true, published: false, idempotent: true }, false],
  ];
  for (const [f, want] of cases) assert.equal(fireRetry(f), want, JSON.stringify(f));
});

Deno.test("claimVerdict(): own claim, finished, stale and held claims", () => {
  const me = { holder: "p1", nonce: "n1" };
  const at = s(10);
  const claim = (o: Record<string, unknown>) => ({
    holder: "p2",
    nonce: "n2",
    claimed_ms: at,
    ...o,
  });
  // Our own create whose reply was lost: ours, whatever its age or state.
  assert.equal(claimVerdict({ ...me, claimed_ms: at }, me, s(99), 1_000), "ours");
  // Another task of the same process is someone else.
  assert.equal(claimVerdict({ holder: "p1", nonce: "n9", claimed_ms: at }, me, at, null), "held");
  // Finished: never taken over, however old.
  assert.equal(claimVerdict(claim({ done: true }), me, s(99), 1_000), "done");
  // Gone or unreadable: nothing to fire.
  assert.equal(claimVerdict(null, me, at, 1_000), "done");
  // Unfinished: held up to the take-over age (inclusive), stale after it.
  assert.equal(claimVerdict(claim({}), me, at + 1_000, 1_000), "held");
  assert.equal(claimVerdict(claim({}), me, at + 1_001, 1_000), "stale");
  // No take-over age, or a claim without a time (an older build): held for good.
  assert.equal(claimVerdict(claim({}), me, s(99), null), "held");
  assert.equal(claimVerdict(claim({ claimed_ms: undefined }), me, s(99), 1_000), "held");
  assert.equal(claimVerdict(claim({ done: "yes" }), me, at + 1_001, 1_000), "stale");
});
