import assert from "node:assert/strict";
import { isBusy } from "./client.ts";
import { WriteGate } from "./write_gate.ts";

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

Deno.test("WriteGate: one holder at a time, granted in arrival order", async () => {
  const gate = new WriteGate();
  const order: number[] = [];
  let inside = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 8 }, (_, i) =>
    gate.run(async () => {
      inside++;
      most = Math.max(most, inside);
      order.push(i);
      await tick();
      inside--;
    }, 1000)));
  assert.equal(most, 1);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(gate.waiting, 0);
});

Deno.test("WriteGate: a release is idempotent and a failing holder frees the gate", async () => {
  const gate = new WriteGate();
  const r1 = await gate.acquire(1000);
  const second = gate.acquire(1000);
  r1();
  r1(); // a second release must not let a third holder in beside the second
  const r2 = await second;
  let thirdIn = false;
  const third = gate.acquire(1000).then((r) => {
    thirdIn = true;
    return r;
  });
  await tick(5);
  assert.equal(thirdIn, false);
  r2();
  (await third)();
  await assert.rejects(gate.run(() => Promise.reject(new Error("boom")), 1000), /boom/);
  assert.equal(await gate.run(() => Promise.resolve(3), 1000), 3);
});

Deno.test("WriteGate: a waiter not let in within maxWaitMs fails as busy and leaves the queue", async () => {
  const gate = new WriteGate();
  const hold = await gate.acquire(1000);
  const t0 = performance.now();
  const err = await gate.acquire(30).then(() => null, (e) => e);
  assert.ok(performance.now() - t0 >= 25);
  assert.ok(isBusy(err), `a busy error: ${err}`);
  assert.equal(gate.waiting, 0);
  let next = false;
  const p = gate.acquire(1000).then((r) => {
    next = true;
    return r;
  });
  await tick(5);
  assert.equal(next, false, "the holder still holds");
  hold();
  (await p)();
});

Deno.test("WriteGate: an interactive writer goes before queued bulk writers", async () => {
  const gate = new WriteGate();
  const hold = await gate.acquire(1000);
  const order: string[] = [];
  const take = (name: string, p: "interactive" | "bulk") =>
    gate.run(
      () => {
        order.push(name);
        return tick();
      },
      1000,
      p,
    );
  const all = [take("bulk-1", "bulk"), take("bulk-2", "bulk"), take("api", "interactive")];
  await tick(5);
  hold();
  await Promise.all(all);
  assert.deepEqual(order, ["api", "bulk-1", "bulk-2"]);
});
