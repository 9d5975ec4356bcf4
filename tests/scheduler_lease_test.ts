/**
 * The leadership lease alone against a real broker: one holder at a time, released leases
 * hand over at the next attempt, expired and unreadable leases are taken over, and a
 * holder whose lease was taken stops believing it leads.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/backend.ts";
import { connectNats } from "../lib/nats.ts";
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
