import assert from "node:assert/strict";
import { hbMsOf, Presence } from "./presence.ts";
import { dbTs } from "../../wire/time.ts";

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("presence: online counts, alive lists and versions equal a brute-force scan", () => {
  const p = new Presence();
  const truth = new Map<string, { ms: number; v: string | null }>();
  const r = rng(1);
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);
  for (let step = 0; step < 20_000; step++) {
    const pc = `PC-${Math.floor(r() * 3000)}`;
    const x = r();
    if (x < 0.02) {
      p.remove(pc);
      truth.delete(pc);
    } else if (x < 0.04) {
      p.apply(pc, null, null, null);
      truth.set(pc, { ms: -Infinity, v: null });
    } else {
      const ms = now - Math.floor(r() * 400_000) + Math.floor(r() * 1000) / 1000;
      const v = r() < 0.5 ? "0.43.45" : "0.44.0";
      p.apply(pc, dbTs(Math.floor(ms)), v, pc);
      truth.set(pc, { ms: Math.floor(ms), v });
    }
    if (step % 997 === 0) {
      for (const cutoff of [now - 120_000, now - 120_000 + 1, now - 300_000, now + 1]) {
        const want = [...truth].filter(([, t]) => t.ms >= cutoff).map(([pc]) => pc).sort();
        assert.equal(p.onlineCount(cutoff), want.length, `count at ${cutoff}`);
        assert.deepEqual(p.aliveSorted(cutoff), want);
        const silent = [...truth].filter(([, t]) => t.ms < cutoff).map(([pc]) => pc).sort();
        assert.deepEqual([...p.silentBefore(cutoff)].map((e) => e.pcId).sort(), silent);
      }
      assert.equal(p.size, truth.size);
    }
  }
  const cutoff = now - 120_000;
  const vs = p.versions(cutoff);
  assert.equal(vs.reduce((n, v) => n + v.total, 0), truth.size);
  const unknown = vs.find((v) => v.version === "unknown");
  assert.equal(unknown?.total, [...truth.values()].filter((t) => t.v === null).length);
  assert.equal(unknown?.active, 0);
});

Deno.test("presence: the boundary second is counted to the millisecond", () => {
  const p = new Presence();
  const base = Date.UTC(2026, 11, 3, 12, 0, 0);
  p.apply("A", dbTs(base + 499), "v", null);
  p.apply("B", dbTs(base + 500), "v", null);
  p.apply("C", dbTs(base + 501), "v", null);
  p.apply("D", "2026-12-03T12:00:00.500000001Z", "v", null);
  assert.equal(p.onlineCount(base + 500), 3);
  assert.deepEqual(p.aliveSorted(base + 500), ["B", "C", "D"]);
  assert.equal(p.isAlive("A", base + 500), false);
  p.apply("A", dbTs(base + 2000), "v", null); // moves to a newer bucket
  assert.equal(p.onlineCount(base + 500), 4);
  p.remove("B");
  assert.equal(p.onlineCount(base + 500), 3);
  assert.equal(p.onlineCount(base + 501), 2); // D is 500.000001 ms: before 501
  assert.equal(p.onlineCount(base + 502), 1);
  p.apply("E", "not a time", "v", null);
  assert.equal(p.size, 4);
  assert.equal(p.isAlive("E", 0), false);
});

Deno.test("presence: the canonical fast path agrees with the RFC 3339 parser", () => {
  for (const ms of [0, 1, 999, 1_000, 1_764_763_200_123, Date.UTC(2026, 1, 28, 23, 59, 59, 999)]) {
    assert.equal(hbMsOf(dbTs(ms)), ms);
  }
  assert.equal(hbMsOf("2026-12-03T12:00:00.000999999Z"), Date.UTC(2026, 11, 3, 12) + 0);
  assert.equal(hbMsOf("2026-12-03T12:00:00Z"), Date.UTC(2026, 11, 3, 12));
  assert.equal(hbMsOf("2026-12-03T12:00:00.5+01:00"), Date.UTC(2026, 11, 3, 11, 0, 0, 500));
  assert.equal(hbMsOf("2026-02-30T12:00:00.000000000Z"), -Infinity);
  assert.equal(hbMsOf(null), -Infinity);
});
