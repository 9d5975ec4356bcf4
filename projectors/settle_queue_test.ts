/** The ack queue alone: everything committed before the next macrotask is settled in it. */
import assert from "node:assert/strict";
import { SettleQueue } from "./settle_queue.ts";

Deno.test("everything queued before the next macrotask runs in it, in order, not one per turn", async () => {
  const q = new SettleQueue();
  const ran: number[] = [];
  // Queued from within a timer callback, as a chain of commits is: nested timers are the
  // ones clamped to 4 ms.
  await new Promise<void>((done) =>
    setTimeout(async () => {
      for (let i = 0; i < 100; i++) {
        await Promise.resolve(); // a commit that resolves on a microtask
        q.later(() => ran.push(i));
      }
      assert.deepEqual(ran, [], "nothing settles before the macrotask");
      done();
    }, 0)
  );
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(ran, Array.from({ length: 100 }, (_, i) => i));
  q.later(() => ran.push(100));
  await q.drained();
  assert.equal(ran.length, 101);
});
