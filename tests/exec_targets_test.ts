/** resolveAlivePcs against a real broker and DB: alive window, both group shapes, union. */
import assert from "node:assert/strict";
import { startTestBackend } from "./helpers/backend.ts";
import { countAlivePcs, resolveAlivePcs } from "../lib/exec/targets.ts";
import { kvSnapshot } from "../lib/kv.ts";
import { BUCKET } from "../wire/names.ts";
import { dbTs } from "../wire/time.ts";

Deno.test("resolveAlivePcs: all / groups / pcs, alive window, tolerant group values", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    const now = Date.parse("2026-06-01T12:00:00Z");
    const seen: Record<string, number> = {
      "PC-A": now - 10_000, // alive
      "PC-B": now - 120_000, // exactly at the cutoff: alive
      "PC-C": now - 120_001, // just outside
      "PC-D": now - 5_000,
      "PC-E": now - 1_000,
    };
    for (const [pc, t] of Object.entries(seen)) {
      await be.deps.db.execute({
        sql: "INSERT INTO agents (pc_id, last_heartbeat, updated_at) VALUES (?, ?, ?)",
        args: [pc, dbTs(t), dbTs(t)],
      });
    }
    const kv = await be.deps.nats.kv(BUCKET.agentGroups);
    await kv.put("PC-A", JSON.stringify({ groups: ["canary"] }));
    await kv.put("PC-B", JSON.stringify(["office", "canary"])); // bare-array shape
    await kv.put("PC-C", JSON.stringify({ groups: ["canary"] })); // dead
    await kv.put("PC-D", "garbage");
    await kv.put("PC-E", JSON.stringify({ groups: ["office"] }));
    await kv.delete("PC-E"); // deleted entry: no membership
    const opts = { now, aliveWindowSecs: 120 };

    assert.deepEqual(await resolveAlivePcs(be.deps, { all: true }, opts), [
      "PC-A",
      "PC-B",
      "PC-D",
      "PC-E",
    ]);
    assert.deepEqual(await resolveAlivePcs(be.deps, { groups: ["canary"] }, opts), [
      "PC-A",
      "PC-B",
    ]);
    assert.deepEqual(await resolveAlivePcs(be.deps, { groups: ["office"] }, opts), ["PC-B"]);
    assert.deepEqual(
      await resolveAlivePcs(be.deps, { groups: ["office"], pcs: ["ZZ", "PC-A", "ZZ"] }, opts),
      ["PC-A", "PC-B", "ZZ"],
    );
    assert.deepEqual(await resolveAlivePcs(be.deps, { groups: ["nobody"] }, opts), []);
    assert.deepEqual(await resolveAlivePcs(be.deps, {}, opts), []);
    assert.equal(await countAlivePcs(be.deps, { all: true }, opts), 4);
    assert.equal(await countAlivePcs(be.deps, { all: true, pcs: ["ZZ"] }, opts), 5);
    assert.equal(await countAlivePcs(be.deps, { groups: ["canary"] }, opts), 2);
    // The count equals the resolved list for every shape: one group (kept per-group
    // counts) with listed PCs inside and outside it, dead or unknown; several groups.
    for (
      const target of [
        { groups: ["canary"], pcs: ["PC-A", "PC-C", "ZZ"] },
        { groups: ["canary", "canary"], pcs: ["PC-B"] },
        { groups: ["office", "canary"], pcs: ["PC-D"] },
        { groups: ["nobody"], pcs: ["PC-C"] },
      ]
    ) {
      assert.equal(
        await countAlivePcs(be.deps, target, opts),
        (await resolveAlivePcs(be.deps, target, opts)).length,
        JSON.stringify(target),
      );
    }
    // Default window comes from config (120 s) and `now` from the clock: all are old now.
    assert.deepEqual(await resolveAlivePcs(be.deps, { all: true }), []);
  } finally {
    await be.stop();
  }
});

Deno.test("kvSnapshot walks a large bucket in one pass and skips deleted keys", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    const kv = await be.deps.nats.kv(BUCKET.agentGroups);
    const n = 2500;
    await Promise.all(
      Array.from(
        { length: n },
        (_, i) => kv.put(`PC${i}`, JSON.stringify({ groups: [`g${i % 7}`] })),
      ),
    );
    await kv.put("PC0", JSON.stringify({ groups: ["latest"] })); // a second revision
    await kv.delete("PC1");
    const t0 = performance.now();
    const all = await kvSnapshot(be.deps.nats, BUCKET.agentGroups);
    const ms = performance.now() - t0;
    assert.equal(all.length, n - 1);
    const pc0 = all.find((v) => v.key === "PC0")!;
    assert.deepEqual(JSON.parse(new TextDecoder().decode(pc0.value)), { groups: ["latest"] });
    assert.ok(!all.some((v) => v.key === "PC1"));
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.deepEqual(await kvSnapshot(be.deps.nats, "no_such_bucket"), []);
    assert.deepEqual(await kvSnapshot(be.deps.nats, BUCKET.jobs), []);
  } finally {
    await be.stop();
  }
});
