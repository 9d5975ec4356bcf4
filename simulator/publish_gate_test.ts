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
