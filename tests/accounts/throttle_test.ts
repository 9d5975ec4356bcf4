/**
 * Sign-in throttling across API processes (two backends on one broker share the KV
 * counters): 5 consecutive failures lock a username for the lock time with 429 +
 * Retry-After, the lock expires, a success clears the count; 30 failures from one client
 * address within a minute refuse that address until the minute is over. The servers'
 * clocks are moved through `deps.now`.
 */
import assert from "node:assert/strict";
import { startTestBackend } from "../helpers/backend.ts";
import { accountsEnv, createAccount, login } from "../helpers/accounts.ts";
import type { AccountsDeps } from "../../lib/accounts/context.ts";

Deno.test({
  name: "throttle: per-username lock and its expiry, held across two API processes",
  sanitizeResources: false,
  async fn() {
    const a = await startTestBackend({ env: accountsEnv() });
    const b = await startTestBackend({ env: accountsEnv(), broker: a.broker });
    let now = Date.now();
    (a.deps as AccountsDeps).now = () => now;
    (b.deps as AccountsDeps).now = () => now;
    try {
      await createAccount(a, "tom", "tom-password-1", "viewer");
      // 4 failures, then a success: the count starts again.
      for (let i = 0; i < 4; i++) {
        assert.equal((await login(i % 2 ? a : b, "tom", "bad-pw-" + i)).status, 401);
      }
      assert.equal((await login(a, "tom", "tom-password-1")).status, 200);
      // 5 consecutive failures, alternating between the two processes.
      for (let i = 0; i < 5; i++) {
        assert.equal(
          (await login(i % 2 ? a : b, "tom", "bad-pw-" + i)).status,
          401,
          `failure ${i}`,
        );
      }
      for (const be of [a, b]) {
        const locked = await login(be, "tom", "tom-password-1");
        assert.equal(locked.status, 429, "the right password is refused while locked");
        assert.match(locked.body.error!, /too many failed sign-ins/);
        const retry = Number(locked.headers.get("retry-after"));
        assert.ok(retry > 890 && retry <= 900, `retry-after ${retry}`);
      }
      // Other usernames are not affected.
      await createAccount(a, "una", "una-password-1", "viewer");
      assert.equal((await login(b, "una", "una-password-1")).status, 200);
      // The lock expires after 15 minutes.
      now += 899_000;
      assert.equal((await login(a, "tom", "tom-password-1")).status, 429);
      now += 2_000;
      assert.equal((await login(b, "tom", "tom-password-1")).status, 200);
    } finally {
      await b.stop();
      await a.stop();
    }
  },
});

Deno.test("throttle: 30 failures per client address per minute, then 429 until it ends", async () => {
  const be = await startTestBackend({ env: accountsEnv() });
  let now = Date.now();
  (be.deps as AccountsDeps).now = () => now;
  try {
    await createAccount(be, "vera", "vera-password-1", "viewer");
    // Different (unknown) usernames: only the address counter reaches its limit.
    const failures = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(be, `nobody-${i}`, "guess-guess")),
    );
    assert.deepEqual([...new Set(failures.map((r) => r.status))], [401]);
    now += 10_000;
    const refused = await login(be, "vera", "vera-password-1");
    assert.equal(refused.status, 429);
    assert.match(refused.body.error!, /from this address/);
    const retry = Number(refused.headers.get("retry-after"));
    assert.ok(retry > 0 && retry <= 50, `retry-after ${retry}`);
    now += 51_000;
    assert.equal((await login(be, "vera", "vera-password-1")).status, 200);
  } finally {
    await be.stop();
  }
});
