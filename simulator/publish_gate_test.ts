import assert from "node:assert/strict";
import { PublishGate } from "./publish_gate.ts";

const tick = () => new Promise((r) => setTimeout(r, 1));

Deno.test("PublishGate: at most `limit` at once, FIFO, every call completes", async () => {
  const gate = new PublishGate(3);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const all = Array.from({ length: 20 }, (_, i) =>
    gate.run(async () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
      return i;
    }));
  assert.deepEqual(await Promise.all(all), Array.from({ length: 20 }, (_, i) => i));
  assert.equal(most, 3);
  assert.deepEqual(started, Array.from({ length: 20 }, (_, i) => i), "first come, first served");
  assert.equal(gate.inFlight, 0);
  assert.equal(gate.queued, 0);
});

Deno.test("PublishGate: a failing call frees its slot; limit 0 means no cap", async () => {
  const gate = new PublishGate(1);
  await assert.rejects(gate.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await gate.run(() => Promise.resolve(7)), 7);
  assert.equal(gate.inFlight, 0);
  const open = new PublishGate(0);
  let running = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 10 }, () =>
    open.run(async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
    })));
  assert.equal(most, 10);
});

Deno.test("PublishGate: a follow-up is served before first entries that queued earlier", async () => {
  const gate = new PublishGate(1);
  const order: string[] = [];
  const job = (name: string) => async () => {
    order.push(name);
    await tick();
  };
  const all = [gate.run(job("a1")), gate.run(job("b1")), gate.run(job("c1"))];
  // Queued after b1 and c1, but behind the same agent's own a1: it goes next.
  all.push(gate.run(job("a2"), true));
  await Promise.all(all);
  assert.deepEqual(order, ["a1", "a2", "b1", "c1"]);
  assert.equal(gate.queued, 0);
});
