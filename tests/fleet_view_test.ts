/**
 * The per-process fleet view (lib/fleet/fleet_view.ts) against a real broker and DB: it
 * follows every kind of write to `agents` (heartbeat projector, plain SQL, forget) and to
 * KV `agent_groups`, and a read right after a write already sees it.
 */
import assert from "node:assert/strict";
import { startTestBackend } from "./helpers/backend.ts";
import { FleetView, fleetView } from "../lib/fleet/fleet_view.ts";
import { countAlivePcs, resolveAlivePcs } from "../lib/exec/targets.ts";
import { listGroups } from "../lib/fleet/groups.ts";
import { followBucket } from "../lib/kv.ts";
import { Memberships } from "../lib/fleet/memberships.ts";
import { BUCKET, subjects } from "../wire/names.ts";
import { dbTs, nowWire } from "../wire/time.ts";
import { encodeHeartbeat } from "../wire/messages.ts";
import { jsonBytes } from "../wire/codec.ts";
import { waitFor } from "./helpers/backend.ts";
import type { Db } from "../db/client.ts";

const sqlCount = async (db: Db, cutoff: number) =>
  Number(
    (await db.execute({
      sql: "SELECT COUNT(*) AS n FROM agents WHERE last_heartbeat >= ?",
      args: [dbTs(cutoff)],
    })).rows[0].n,
  );

Deno.test("fleet view: presence follows inserts, updates, deletes and projected heartbeats", async () => {
  const be = await startTestBackend({ projectors: ["heartbeat"] });
  try {
    const db = be.deps.db;
    const view = fleetView(be.deps);
    const now = Date.now();
    for (let i = 0; i < 50; i++) {
      await db.execute({
        sql:
          "INSERT INTO agents (pc_id, last_heartbeat, agent_version, updated_at) VALUES (?, ?, ?, ?)",
        args: [`V-${i}`, dbTs(now - i * 5_000), i % 2 ? "1.0" : "2.0", dbTs(now)],
      });
    }
    let p = await view.presence();
    assert.equal(p.size, 50);
    for (const c of [now - 120_000, now - 60_000, now - 1]) {
      assert.equal(p.onlineCount(c), await sqlCount(db, c), `count at ${now - c} ms ago`);
    }
    // A plain UPDATE and a DELETE are followed too (triggers give them revisions).
    await db.execute({
      sql: "UPDATE agents SET last_heartbeat = ? WHERE pc_id = 'V-49'",
      args: [dbTs(now)],
    });
    await db.execute("DELETE FROM agents WHERE pc_id = 'V-0'");
    p = await view.presence();
    assert.equal(p.size, 49);
    assert.equal(p.isAlive("V-49", now - 1000), true);
    assert.equal(p.get("V-0"), undefined);
    assert.equal(p.onlineCount(now - 120_000), await sqlCount(db, now - 120_000));
    // A forgotten PC that beats again comes back.
    await be.json("DELETE", "/api/agents/V-1");
    assert.equal((await view.presence()).get("V-1"), undefined);
    be.deps.nats.nc.publish(
      subjects.heartbeat("V-1"),
      jsonBytes(encodeHeartbeat({ pc_id: "V-1", at: nowWire(), agent_version: "3.0" })),
    );
    await waitFor(async () => (await view.presence()).get("V-1")?.version === "3.0", {
      what: "projected heartbeat in the view",
    });
    const versions = await be.json<{ version: string; total: number }[]>(
      "GET",
      "/api/agents/versions",
    );
    assert.deepEqual(versions.find((v) => v.version === "3.0")?.total, 1);
    const res = await be.request("/api/agents?limit=5");
    assert.equal(res.headers.get("x-total-count"), "49");
    assert.equal(
      Number(res.headers.get("x-online-count")) + Number(res.headers.get("x-offline-count")),
      49,
    );
    await res.body?.cancel();
  } finally {
    await be.stop();
  }
});

Deno.test("fleet view: a projector's agent change notice brings the view up to date by itself", async () => {
  const be = await startTestBackend({ projectors: ["heartbeat"] });
  // A poll interval longer than the test: only the notice can bring the new agent in.
  const view = new FleetView(be.deps, 600_000);
  try {
    assert.equal((await view.presence()).size, 0);
    be.deps.nats.nc.publish(
      subjects.heartbeat("N-1"),
      jsonBytes(encodeHeartbeat({ pc_id: "N-1", at: nowWire(), agent_version: "1.0" })),
    );
    await waitFor(() => view.presenceNow().get("N-1") !== undefined, {
      what: "the projected agent in the view without a catch-up",
    });
  } finally {
    view.stop();
    await be.stop();
  }
});

Deno.test("fleet view: a membership written just before a read is already in it", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    const now = Date.now();
    for (let i = 0; i < 20; i++) {
      await be.deps.db.execute({
        sql: "INSERT INTO agents (pc_id, last_heartbeat, updated_at) VALUES (?, ?, ?)",
        args: [`G-${i}`, dbTs(now), dbTs(now)],
      });
    }
    const kv = await be.deps.nats.kv(BUCKET.agentGroups);
    for (let i = 0; i < 20; i++) {
      await kv.put(`G-${i}`, JSON.stringify({ groups: ["wave"] }));
      // No wait: the count must include the write that just returned.
      assert.equal(await countAlivePcs(be.deps, { groups: ["wave"] }), i + 1);
    }
    await kv.delete("G-3");
    await kv.put("G-4", "garbage");
    assert.equal(await countAlivePcs(be.deps, { groups: ["wave"] }), 18);
    assert.equal((await resolveAlivePcs(be.deps, { groups: ["wave"] })).includes("G-3"), false);
    let groups = await listGroups(be.deps);
    assert.equal(groups.find((g) => g.name === "wave")?.members.length, 18);
    await be.json("POST", "/api/agents/G-3/groups", { group: "other" });
    groups = await listGroups(be.deps);
    assert.deepEqual(groups.find((g) => g.name === "other")?.members, ["G-3"]);
    const cfg = await be.deps.nats.kv(BUCKET.agentConfig);
    await cfg.put("groups.empty", JSON.stringify({ heartbeat_interval: "10s" }));
    groups = await listGroups(be.deps);
    assert.deepEqual(groups.find((g) => g.name === "empty"), {
      name: "empty",
      members: [],
      has_config: true,
    });
  } finally {
    await be.stop();
  }
});

Deno.test("followBucket: a bucket created after the follower starts is followed", async () => {
  const be = await startTestBackend({ waves: false });
  const m = new Memberships();
  const f = followBucket(be.deps.nats, "late_bucket", m, be.deps.log);
  try {
    await f.ready; // missing: counts as empty
    assert.equal(m.all().size, 0);
    const kv = await be.deps.nats.kvm.create("late_bucket");
    await kv.put("PC-1", JSON.stringify({ groups: ["g"] }));
    await waitFor(async () => {
      await f.catchUp();
      return m.groupsOf("PC-1").includes("g");
    }, { what: "late bucket followed" });
  } finally {
    f.stop();
    await be.stop();
  }
});
