import assert from "node:assert/strict";
import {
  afterClientFailure,
  afterUserFailure,
  CLIENT_MAX_FAILURES,
  clientRetryAfter,
  USER_MAX_FAILURES,
  userRetryAfter,
} from "./throttle_policy.ts";

const LOCK = 900_000;

Deno.test("afterUserFailure(): the 5th consecutive failure locks for the lock time", () => {
  let s = null;
  for (let i = 1; i < USER_MAX_FAILURES; i++) {
    s = afterUserFailure(s, 1000, LOCK);
    assert.deepEqual(s, { failures: i, locked_until: 0 });
    assert.equal(userRetryAfter(s, 1000), null);
  }
  s = afterUserFailure(s, 1000, LOCK);
  assert.deepEqual(s, { failures: 0, locked_until: 1000 + LOCK });
  assert.equal(userRetryAfter(s, 1000), 900);
  assert.equal(userRetryAfter(s, 1000 + LOCK - 1), 1, "rounded up: never 0 while locked");
  assert.equal(userRetryAfter(s, 1000 + LOCK), null, "free exactly at the end");
  // After the lock, counting starts from zero.
  assert.deepEqual(afterUserFailure(s, 1000 + LOCK, LOCK), { failures: 1, locked_until: 0 });
});

Deno.test("client window: 30 failures in 60 s refuse the rest of the window", () => {
  let s = null;
  for (let i = 0; i < CLIENT_MAX_FAILURES; i++) s = afterClientFailure(s, 10_000 + i * 1000);
  assert.deepEqual(s, { window_start: 10_000, failures: 30 });
  assert.equal(clientRetryAfter(s, 40_000), 30);
  assert.equal(clientRetryAfter(s, 69_999), 1);
  assert.equal(clientRetryAfter(s, 70_000), null);
  assert.deepEqual(afterClientFailure(s, 70_000), { window_start: 70_000, failures: 1 });
  assert.equal(clientRetryAfter({ window_start: 0, failures: 29 }, 1), null);
  assert.equal(clientRetryAfter(null, 1), null);
});
