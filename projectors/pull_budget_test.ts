/** The pull budget alone (pure): when to pull, for how much, and when a pull has ended. */
import assert from "node:assert/strict";
import { PullBudget } from "./pull_budget.ts";

/** A budget after its first pull was sent. */
function pulling(maxMsgs: number, maxBytes: number, minPull: number) {
  const b = new PullBudget(maxMsgs, maxBytes, minPull);
  const first = b.nextPull();
  assert.ok(first);
  b.asked(first);
  return { b, first };
}

Deno.test("the first pull asks for the whole budget; none while it is live", () => {
  const { b, first } = pulling(10, 1000, 100);
  assert.deepEqual(first, { batch: 10, maxBytes: 1000 });
  assert.equal(b.pulling, true);
  assert.equal(b.nextPull(), null);
  b.arrived(100);
  assert.equal(b.nextPull(), null, "still live: 9 messages and 900 bytes to go");
});

Deno.test("a pull whose count is used up has ended; the next waits until half is taken", () => {
  const { b } = pulling(10, 100_000, 100);
  for (let i = 0; i < 10; i++) b.arrived(50);
  assert.equal(b.pulling, false, "the broker ends it without a word");
  assert.equal(b.nextPull(), null, "all 10 queued: nothing free");
  for (let i = 0; i < 4; i++) b.taken(50);
  assert.equal(b.nextPull(), null, "4 free: less than half");
  b.taken(50);
  assert.deepEqual(b.nextPull(), { batch: 5, maxBytes: 100_000 - 250 });
});

Deno.test("a pull whose bytes are used up exactly has ended too", () => {
  const { b } = pulling(100, 1000, 100);
  b.arrived(600);
  assert.equal(b.pulling, true);
  b.arrived(400);
  assert.equal(b.pulling, false);
  b.taken(600);
  assert.deepEqual(b.nextPull(), { batch: 99, maxBytes: 600 });
});

Deno.test("received messages count until the reader takes them: a slow reader stops the pulls", () => {
  const { b } = pulling(1000, 1000, 100);
  for (let i = 0; i < 3; i++) b.arrived(200);
  b.ended(); // 409: the next message (> 400 bytes) did not fit
  assert.deepEqual(b.queued, { msgs: 3, bytes: 600 });
  assert.equal(b.nextPull(), null, "400 bytes free: less than half");
  b.taken(200);
  assert.deepEqual(b.nextPull(), { batch: 998, maxBytes: 600 });
});

Deno.test("the byte budget holds two of the largest messages at least, and never pulls for less than one", () => {
  const b = new PullBudget(100, 1000, 800);
  assert.equal(b.maxBytes, 1600);
  b.asked(b.nextPull()!);
  b.arrived(900);
  b.ended();
  assert.equal(b.nextPull(), null, "700 free: the largest message would not fit");
  b.taken(900);
  assert.deepEqual(b.nextPull(), { batch: 100, maxBytes: 1600 });
  assert.throws(() => new PullBudget(100, 1000, 0), RangeError);
  assert.throws(() => new PullBudget(0, 1000, 10), RangeError);
});

Deno.test("a forgotten pull that delivers after all counts in the queue, not against the new pull", () => {
  const { b } = pulling(10, 1000, 100);
  b.arrived(100);
  b.forget();
  assert.equal(b.pulling, false);
  b.asked(b.nextPull()!);
  assert.equal(b.pulling, true);
  b.taken(100);
  // Messages of either pull look alike: they all count in the queue, which bounds the reader.
  for (let i = 0; i < 9; i++) b.arrived(100);
  assert.equal(b.pulling, false, "9 of the new pull's 9");
  assert.deepEqual(b.queued, { msgs: 9, bytes: 900 });
  for (let i = 0; i < 9; i++) b.taken(100);
  assert.deepEqual(b.queued, { msgs: 0, bytes: 0 });
  assert.deepEqual(b.nextPull(), { batch: 10, maxBytes: 1000 });
});
