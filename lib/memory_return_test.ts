import assert from "node:assert/strict";
import {
  collectGarbage,
  DEFAULT_MEMORY_POLICY,
  MemoryPolicy,
  onMemoryReturn,
  returnMemory,
  trimMalloc,
} from "./memory_return.ts";

const S = 1000;

Deno.test("memory policy: acts once RSS has grown well past its floor and stopped growing", () => {
  const p = new MemoryPolicy();
  // A steady 300 MiB: nothing to do.
  for (let t = 0; t <= 30 * S; t += 5 * S) assert.equal(p.sample(t, 300), false, `t=${t}`);
  assert.equal(p.floorMiB, 300);
  // A burst: RSS climbs fast; no return while it grows.
  assert.equal(p.sample(35 * S, 700), false);
  assert.equal(p.sample(40 * S, 1200), false);
  assert.equal(p.sample(45 * S, 1500), false);
  // Flat for less than the settle window: still waiting.
  assert.equal(p.sample(50 * S, 1510), false);
  // Flat over 10 s (1500 → 1520, within 32 MiB): act.
  assert.equal(p.sample(55 * S, 1520), true);
  p.returned(55 * S, 420);
  assert.equal(p.floorMiB, 420);
  // The heap regrows a little with the heartbeats: below floor + max(128, 210).
  for (let t = 60 * S; t <= 200 * S; t += 5 * S) {
    assert.equal(p.sample(t, 420 + (t - 55 * S) / S), false, `t=${t}`);
  }
});

Deno.test("memory policy: growth threshold, minimum gap and a floor that follows live memory", () => {
  const o = DEFAULT_MEMORY_POLICY;
  const p = new MemoryPolicy(o);
  p.sample(0, 100);
  p.sample(5 * S, 100);
  // Floor 100: grown means ≥ 100 + max(128, 50) = 228.
  assert.equal(p.sample(10 * S, 227), false);
  assert.equal(p.sample(15 * S, 227), false);
  assert.equal(p.sample(20 * S, 228), true);
  // The memory was live: the return gave nothing back, the floor moves up, no repeat.
  p.returned(20 * S, 228);
  for (let t = 25 * S; t <= 120 * S; t += 5 * S) assert.equal(p.sample(t, 230), false);
  // A second burst within the minimum gap of the last return waits for the gap.
  const q = new MemoryPolicy(o);
  q.sample(0, 200);
  q.sample(10 * S, 200);
  assert.equal(q.sample(20 * S, 600), false); // grew 400 in 10 s: not settled
  assert.equal(q.sample(30 * S, 600), true);
  q.returned(30 * S, 250);
  q.sample(40 * S, 700);
  q.sample(50 * S, 700);
  assert.equal(q.sample(60 * S, 700), false, "30 s after the last return");
  assert.equal(q.sample(90 * S, 700), true, "60 s after it");
});

Deno.test("collectGarbage runs a full collection of this isolate", async () => {
  let big: { payload: number[] } | null = { payload: Array.from({ length: 1e5 }, (_, i) => i) };
  const ref = new WeakRef(big);
  big = null;
  // A WeakRef target is kept until the end of the job that created or read it.
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(collectGarbage(), true);
  assert.equal(ref.deref(), undefined);
});

Deno.test("trimMalloc reaches glibc on Linux", () => {
  if (Deno.build.os !== "linux") return;
  assert.equal(trimMalloc(), true);
});

Deno.test("returnMemory asks every registered isolate first, then collects and trims", async () => {
  const order: string[] = [];
  const off = onMemoryReturn(() => {
    order.push("other isolate");
    return Promise.resolve();
  });
  try {
    const r = await returnMemory();
    assert.deepEqual(order, ["other isolate"]);
    assert.equal(r.gc, true);
    assert.ok(r.rssBeforeMiB > 0 && r.rssAfterMiB > 0);
  } finally {
    off();
  }
  await returnMemory();
  assert.deepEqual(order, ["other isolate"], "unregistered");
});
