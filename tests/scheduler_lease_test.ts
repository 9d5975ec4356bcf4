/**
 * The leadership lease alone against a real broker: one holder at a time, released leases
 * hand over at the next attempt, expired and unreadable leases are taken over, a holder
 * whose lease was taken stops believing it leads, and renews that fail while the broker does
 * not answer end leadership only when the lease itself runs out.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/backend.ts";
import { connectNats, wrapNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { Lease } from "../scheduler/lease.ts";
import { BUCKET, LEASE_KEY_SCHEDULER } from "../wire/names.ts";
import { logger } from "../lib/log.ts";

const quiet = logger({ test: "lease" });

Deno.test({
  name: "lease: single holder, release hand-over, expiry and garbage take-over",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const broker = await startNatsServer();
    const nats = await connectNats({ natsServers: [broker.url] }, "lease-test");
    try {
      await setupJetStream(nats);
      const kv = await nats.kv(BUCKET.leases);
      const mk = (holder: string, ttlMs = 1000) =>
        new Lease(kv, quiet, {
          key: LEASE_KEY_SCHEDULER,
          holder,
          ttlMs,
          renewMs: 100,
          marginMs: 100,
        });
      const a = mk("a");
      const b = mk("b");
      await a.start();
      await b.start();
      assert.equal(a.isLeader(), true);
      assert.equal(b.isLeader(), false);
      // Several renew rounds: leadership stays put.
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(a.isLeader(), true);
      assert.equal(b.isLeader(), false);
      // Graceful stop releases the key: b takes over at its next attempt.
      const t0 = Date.now();
      await a.stop(true);
      await waitFor(() => b.isLeader(), { what: "b leads", timeoutMs: 2000 });
      assert.ok(Date.now() - t0 < 500, "released lease hands over within one renew period");
      await b.stop(false); // a crash: the key stays behind until it expires

      const c = mk("c");
      await c.step();
      assert.equal(c.isLeader(), false, "b's lease has not expired yet");
      await waitFor(async () => {
        await c.step();
        return c.isLeader();
      }, { what: "c takes over after expiry", timeoutMs: 3000 });

      // An unreadable lease value is taken over (it cannot name a live holder).
      await kv.put(LEASE_KEY_SCHEDULER, "garbage");
      const d = mk("d");
      await d.step();
      assert.equal(d.isLeader(), true);
      // c's next renew sees someone else's fresh lease and stops leading.
      await c.step();
      assert.equal(c.isLeader(), false);
      await c.stop();
      await d.stop();
    } finally {
      await nats.close();
      await broker.stop();
    }
  },
});

Deno.test({
  name: "lease: renews that fail keep leadership until the lease runs out, which is then reported",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const broker = await startNatsServer();
    const nats = await connectNats({ natsServers: [broker.url] }, "lease-test");
    let paused = false;
    try {
      await setupJetStream(nats);
      // The scheduler's own short request timeout (engine.ts: kvTimeoutMs).
      const view = await wrapNats(nats.nc, { timeout: 300 });
      const kv = await view.kv(BUCKET.leases);
      const lost: number[] = [];
      const acquired: number[] = [];
      const a = new Lease(kv, quiet, {
        key: LEASE_KEY_SCHEDULER,
        holder: "a",
        ttlMs: 3000,
        renewMs: 400,
        marginMs: 400,
        onAcquired: () => acquired.push(Date.now()),
        onLost: () => lost.push(Date.now()),
      });
      await a.start();
      assert.equal(a.isLeader(), true);
      await new Promise((r) => setTimeout(r, 500)); // a renew went through
      await broker.signal("SIGSTOP");
      paused = true;
      const stoppedAt = Date.now();
      // Every request now times out after 300 ms: several renews fail meanwhile.
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(a.isLeader(), true, "a failed renew does not end an unexpired lease");
      assert.equal(lost.length, 0);
      // The belief runs out at most ttl − margin after the last good renew: reported once.
      await waitFor(() => lost.length === 1, { what: "leadership lost", timeoutMs: 5000 });
      assert.equal(a.isLeader(), false);
      assert.ok(lost[0] - stoppedAt <= 2600 + 500, `lost ${lost[0] - stoppedAt} ms after the stop`);
      await broker.signal("SIGCONT");
      paused = false;
      await waitFor(() => a.isLeader(), { what: "leadership regained", timeoutMs: 5000 });
      assert.equal(acquired.length, 2);
      assert.equal(lost.length, 1);
      await a.stop();
    } finally {
      if (paused) await broker.signal("SIGCONT");
      await nats.close();
      await broker.stop();
    }
  },
});
