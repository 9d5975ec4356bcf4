import assert from "node:assert/strict";
import { Churn } from "./churn.ts";
import { prng } from "./util.ts";

function fakeFleet(n: number) {
  const online = new Map<string, boolean>();
  const pcIds = Array.from({ length: n }, (_, i) => `PC-${i}`);
  for (const pc of pcIds) online.set(pc, true);
  const events: [string, boolean][] = [];
  return {
    pcIds,
    events,
    offline: () => [...online.values()].filter((v) => !v).length,
    agent: (pc: string) => ({ online: online.get(pc)! }),
    setOnline(pc: string, v: boolean) {
      assert.notEqual(online.get(pc), v, `${pc} already ${v ? "online" : "offline"}`);
      online.set(pc, v);
      events.push([pc, v]);
    },
  };
}

Deno.test("churn: about the asked share is offline, every stint ends within its bounds", () => {
  const f = fakeFleet(10_000);
  const c = new Churn(f, { fraction: 0.05, minOffMs: 10_000, maxOffMs: 60_000, rand: prng(3) });
  const leftAt = new Map<string, number>();
  let longest = 0;
  const shares: number[] = [];
  for (let t = 1; t <= 600; t++) {
    const before = f.events.length;
    c.tick();
    for (const [pc, on] of f.events.slice(before)) {
      if (!on) leftAt.set(pc, t);
      else {
        longest = Math.max(longest, t - leftAt.get(pc)!);
        leftAt.delete(pc);
      }
    }
    if (t > 120) shares.push(f.offline() / 10_000);
    assert.equal(c.stats.offline, f.offline());
  }
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  assert.ok(mean > 0.04 && mean < 0.06, `mean offline share ${mean}`);
  assert.ok(longest <= 60 && longest >= 10, `longest stint ${longest}`);
  assert.ok(c.stats.returned > 1000);
});

Deno.test("churn: no churn means no changes; stop ends the ticks", () => {
  const f = fakeFleet(100);
  const c = new Churn(f, { fraction: 0, rand: prng(1) });
  for (let i = 0; i < 100; i++) c.tick();
  assert.equal(f.events.length, 0);
  c.start();
  c.stop();
});
