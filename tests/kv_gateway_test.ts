/**
 * The KV gateway (lib/kv.ts) against a real broker. The compare-and-swap loop (clients.md
 * §4.3 kv_cas_live): twenty concurrent read-modify-write adds to one key all survive (and
 * really conflicted), a no-op neither creates the key nor bumps the revision, a delete
 * marker reads as absent. The one error mapping: a missing bucket and a broker that does
 * not answer are both "unavailable", and only the first ever reads as "missing".
 */
import assert from "node:assert/strict";
import { startNatsServer } from "./helpers/nats_server.ts";
import { connectNats, wrapNats } from "../lib/nats.ts";
import type { KV } from "@nats-io/kv";
import {
  casUpdate,
  type Codec,
  DELETE,
  getFromOptionalBucket,
  isRevisionConflict,
  kvScan,
  kvSnapshot,
  kvSwap,
  openKv,
  openKvOrNull,
} from "../lib/kv.ts";
import { UnavailableError } from "../lib/errors.ts";

const setCodec: Codec<string[]> = {
  decode: (b) => JSON.parse(new TextDecoder().decode(b)),
  encode: (v) => JSON.stringify([...new Set(v)].sort()),
  empty: () => [],
};

Deno.test("KV gateway: compare-and-swap, scans and the one error mapping", async (t) => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] });
  try {
    const kv = await nats.kvm.create("cas_test", { history: 5 });

    await t.step("twenty concurrent adds all survive", async () => {
      const rs = await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) => casUpdate(kv, "k", setCodec, (cur) => [...cur, `m${i}`]),
        ),
      );
      const final = setCodec.decode((await kv.get("k"))!.value);
      assert.equal(final.length, 20);
      assert.ok(rs.every((r) => r.changed));
      assert.ok(rs.some((r) => r.attempts > 1), "expected at least one conflicting write");
    });

    await t.step("a no-op does not bump the revision", async () => {
      const rev = (await kv.get("k"))!.revision;
      const r = await casUpdate(kv, "k", setCodec, (cur) => [...cur].reverse());
      assert.equal(r.changed, false);
      assert.equal((await kv.get("k"))!.revision, rev);
    });

    await t.step("a no-op on an absent key does not create it", async () => {
      const r = await casUpdate(kv, "absent", setCodec, (cur) => cur);
      assert.equal(r.changed, false);
      assert.equal(await kv.get("absent"), null);
      const d = await casUpdate(kv, "absent", setCodec, () => DELETE);
      assert.equal(d.changed, false);
    });

    await t.step("after a delete the next write starts from empty", async () => {
      const d = await casUpdate(kv, "k", setCodec, () => DELETE);
      assert.equal(d.changed, true);
      assert.equal((await kv.get("k"))?.operation, "DEL");
      const r = await casUpdate(kv, "k", setCodec, (cur) => [...cur, "new"]);
      assert.deepEqual(r.value, ["new"]);
      assert.equal((await kv.get("k"))!.string(), '["new"]');
    });

    await t.step("a delete between our read and our write is retried, not lost", async () => {
      await kv.put("race", '["a"]');
      let first = true;
      // A view of the bucket whose first update lets another writer delete the key first.
      const racy = {
        get: (k: string) => kv.get(k),
        create: (k: string, d: string) => kv.create(k, d),
        delete: (k: string, o?: { previousSeq?: number }) => kv.delete(k, o),
        update: async (k: string, d: string, rev: number) => {
          if (first) {
            first = false;
            await kv.delete(k);
          }
          return kv.update(k, d, rev);
        },
      } as unknown as KV;
      const r = await casUpdate(racy, "race", setCodec, (cur) => [...cur, "b"]);
      assert.equal(r.attempts, 2);
      assert.deepEqual(setCodec.decode((await kv.get("race"))!.value), ["b"]);
    });

    await t.step("kvSnapshot() reads the live keys of a bucket in one pass", async () => {
      const snap = await nats.kvm.create("snap_test", { history: 3 });
      assert.deepEqual(await kvSnapshot(nats, "snap_test"), []);
      for (let i = 0; i < 1100; i++) await snap.put(`k${String(i).padStart(4, "0")}`, `v${i}`);
      await snap.put("k0001", "updated");
      await snap.delete("k0002");
      await snap.purge("k0003");
      const got = await kvSnapshot(nats, "snap_test");
      assert.deepEqual(
        got.filter((e) => ["k0002", "k0003"].includes(e.key)).map((e) => [e.key, e.value.length]),
        [],
      );
      const seenKeys = new Map<string, number>();
      for (const e of got) seenKeys.set(e.key, (seenKeys.get(e.key) ?? 0) + 1);
      assert.deepEqual([...seenKeys].filter(([, n]) => n > 1), []);
      assert.equal(got.length, 1098);
      assert.equal(got[0].key, "k0000");
      const one = got.find((e) => e.key === "k0001")!;
      assert.equal(new TextDecoder().decode(one.value), "updated");
      assert.equal(one.revision, (await snap.get("k0001"))!.revision);
      assert.equal(got.some((e) => e.key === "k0002" || e.key === "k0003"), false);
    });

    await t.step("kvSwap() writes at the expected revision only; null when it lost", async () => {
      const kv = await openKv(nats, "cas_test");
      const r1 = await kvSwap(kv, "swap", "a", null);
      assert.ok(r1 !== null && r1 > 0);
      assert.equal(await kvSwap(kv, "swap", "b", null), null, "create over a live key");
      const r2 = await kvSwap(kv, "swap", "b", r1);
      assert.ok(r2 !== null && r2 > r1);
      assert.equal(await kvSwap(kv, "swap", "c", r1), null, "update at an old revision");
      assert.equal(await kvSwap(kv, "swap", DELETE, r1), null, "delete at an old revision");
      assert.equal(await kvSwap(kv, "swap", DELETE, r2), 0);
      assert.ok(await kvSwap(kv, "swap", "d", null), "a delete marker counts as absent");
      // The raw conflict, as a caller of kv.update sees it, is recognised too.
      const raw = await kv.update("swap", "e", r1).then(() => null, (e) => e);
      assert.equal(isRevisionConflict(raw), true);
      assert.equal(isRevisionConflict(new Error("connection closed")), false);
    });

    await t.step("getFromOptionalBucket() reads one key of a bucket that exists", async () => {
      const kv = await openKv(nats, "snap_test");
      await kv.put("one", "1");
      const e = await getFromOptionalBucket(nats, "snap_test", "one");
      assert.equal(e?.string(), "1");
      assert.equal(await getFromOptionalBucket(nats, "snap_test", "absent"), null);
    });

    await t.step("kvScan() reads the live entries under a filter", async () => {
      const kv = await openKv(nats, "snap_test");
      await kv.put("pc.a", "1");
      await kv.put("pc.b", "2");
      await kv.put("pc.c", "3");
      await kv.delete("pc.c");
      const got = (await kvScan(kv, { filter: "pc.>" })).map((e) => e.key).sort();
      assert.deepEqual(got, ["pc.a", "pc.b"]);
    });

    await t.step("whole-bucket reads leave no consumer on the broker", async () => {
      // The alert engine scans its usually empty rules bucket every 2 s; nats.js keys()
      // left one idle consumer behind per scan (kept 5 minutes by the broker).
      const kv = await nats.kvm.create("empty_scan_test", { history: 1 });
      for (let i = 0; i < 3; i++) assert.deepEqual(await kvScan(kv), []);
      await kv.put("a", "1");
      for (let i = 0; i < 3; i++) {
        assert.equal((await kvSnapshot(nats, "empty_scan_test")).length, 1);
      }
      // The snapshot's delete is not awaited by the read: give it a moment.
      let consumers = -1;
      for (let i = 0; i < 20 && consumers !== 0; i++) {
        consumers = (await nats.jsm.streams.info("KV_empty_scan_test")).state.consumer_count;
        if (consumers) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(consumers, 0);
    });

    await t.step("a missing bucket: null / [] where optional, else unavailable", async () => {
      assert.equal(await openKvOrNull(nats, "no_such_bucket"), null);
      assert.equal(await getFromOptionalBucket(nats, "no_such_bucket", "k"), null);
      assert.deepEqual(await kvSnapshot(nats, "no_such_bucket"), []);
      await assert.rejects(
        kvSnapshot(nats, "no_such_bucket", { required: true }),
        (e) => e instanceof UnavailableError && /no_such_bucket' is not available/.test(e.message),
      );
      const kv = await openKv(nats, "no_such_bucket");
      await assert.rejects(
        kv.get("k"),
        (e) => e instanceof UnavailableError && /no_such_bucket' is not available/.test(e.message),
      );
    });

    await t.step("a broker that does not answer is unavailable, never missing", async () => {
      // A view with a short timeout on a broker frozen mid-request (a leader election).
      const view = await wrapNats(nats.nc, { timeout: 300 });
      const kv = await openKv(view, "cas_test");
      await broker.signal("SIGSTOP");
      try {
        for (
          const op of [
            () => openKvOrNull(view, "cas_test"),
            () => kv.get("k"),
            () => getFromOptionalBucket(view, "cas_test", "k"),
          ]
        ) {
          await assert.rejects(op(), (e) => {
            assert.ok(e instanceof UnavailableError, String(e));
            assert.match(e.message, /message broker unavailable/);
            assert.equal(e.retryAfterSecs, 2);
            return true;
          });
        }
      } finally {
        await broker.signal("SIGCONT");
      }
      assert.ok(await openKvOrNull(view, "cas_test"), "back once the broker answers");
    });
  } finally {
    await nats.close();
    await broker.stop();
  }
});
