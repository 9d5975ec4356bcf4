/**
 * The compare-and-swap loop itself against a real broker (clients.md §4.3 kv_cas_live):
 * twenty concurrent read-modify-write adds to one key all survive (and really conflicted),
 * a no-op neither creates the key nor bumps the revision, a delete marker reads as absent.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "./helpers/nats_server.ts";
import { connectNats } from "../lib/nats.ts";
import type { KV } from "@nats-io/kv";
import { casUpdate, type Codec, DELETE, kvSnapshot } from "../lib/fleet/kv_cas.ts";

const setCodec: Codec<string[]> = {
  decode: (b) => JSON.parse(new TextDecoder().decode(b)),
  encode: (v) => JSON.stringify([...new Set(v)].sort()),
  empty: () => [],
};

Deno.test("casUpdate() under contention, no-ops and delete markers", async (t) => {
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
  } finally {
    await nats.close();
    await broker.stop();
  }
});
