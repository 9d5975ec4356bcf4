import assert from "node:assert/strict";
import { BeatClock, type Due } from "./beat_clock.ts";

function fake() {
  let t = 1_000_000;
  const clock = new BeatClock(50, () => t);
  const fired: string[] = [];
  const due = (name: string): Due => ({ fire: () => fired.push(name) });
  return { clock, fired, due, advance: (ms: number) => (t += ms), now: () => t };
}

Deno.test("beat clock: each entry fires once, at the first tick at or after its time", () => {
  const f = fake();
  try {
    const a = f.due("a"), b = f.due("b"), c = f.due("c");
    f.clock.at(a, f.now() + 120);
    f.clock.at(b, f.now() + 30);
    f.clock.at(c, f.now() + 1_000);
    f.advance(49);
    f.clock.tick();
    assert.deepEqual(f.fired, []);
    f.advance(1);
    f.clock.tick();
    assert.deepEqual(f.fired, ["b"]);
    f.advance(100);
    f.clock.tick();
    f.clock.tick();
    assert.deepEqual(f.fired, ["b", "a"]);
    assert.equal(f.clock.size, 1);
    // A stalled process: every slot that came is fired on the next tick.
    f.advance(5_000);
    f.clock.tick();
    assert.deepEqual(f.fired, ["b", "a", "c"]);
    assert.equal(f.clock.size, 0);
  } finally {
    f.clock.stop();
  }
});

Deno.test("beat clock: re-arming moves an entry, cancel removes it, a past time fires next tick", () => {
  const f = fake();
  try {
    const a = f.due("a"), b = f.due("b");
    f.clock.at(a, f.now() + 60);
    f.clock.at(a, f.now() + 500); // moved, not duplicated
    f.clock.at(b, f.now() + 60);
    f.clock.cancel(b);
    f.advance(100);
    f.clock.tick();
    assert.deepEqual(f.fired, []);
    f.advance(400);
    f.clock.tick();
    assert.deepEqual(f.fired, ["a"]);
    // Already past, and an entry re-armed from inside its own fire, land on the next slot.
    const again: Due = { fire: () => f.clock.at(again, f.now() - 10_000) };
    f.clock.at(again, f.now() - 10_000);
    f.advance(50);
    f.clock.tick();
    assert.equal(f.clock.size, 1, "re-armed for a later slot, not fired in a loop");
    f.advance(50);
    f.clock.tick();
    assert.equal(f.clock.size, 1);
  } finally {
    f.clock.stop();
  }
});

Deno.test("beat clock: its one timer drives real beats and stops when nothing waits", async () => {
  const clock = new BeatClock(20);
  const at = Date.now();
  const times: number[] = [];
  const d: Due = { fire: () => times.push(Date.now() - at) };
  clock.at(d, at + 60);
  await new Promise((r) => setTimeout(r, 200));
  clock.stop();
  assert.equal(times.length, 1);
  assert.ok(times[0] >= 60, `fired at +${times[0]} ms`);
  assert.equal(clock.size, 0);
});
