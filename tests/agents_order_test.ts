/**
 * The agents page is ordered by the fleet revision (migration 20261206051500), which must
 * give the spec's order, updated_at newest first (pc_id within a tie): after the migration
 * renumbers rows written before it, and as the heartbeat projector writes them.
 */
import assert from "node:assert/strict";
import { tempDb } from "./helpers/db.ts";
import { loadMigrations, migrate } from "../db/migrate.ts";
import { inWriteTx, rowsOf } from "../db/client.ts";
import type { Db } from "../db/client.ts";
import { applyHeartbeats } from "../projectors/heartbeat.ts";
import { listAgents } from "../lib/reads/agents.ts";
import { PresenceFollower } from "../lib/fleet/presence.ts";

const MIGRATION = "20261206051500_agents_rev_order";

async function pageIds(
  db: Db,
  status?: "online" | "offline",
  paging = { limit: 50, offset: 0 },
  follower?: PresenceFollower,
): Promise<string[]> {
  const page = await listAgents(
    db,
    { ...paging, status } as Parameters<typeof listAgents>[1],
    90,
    Date.parse("2026-12-06T10:00:00Z"),
    follower?.presence,
  );
  return page.rows.map((r) => r.pc_id);
}

async function byUpdatedAt(db: Db): Promise<string[]> {
  const rs = await db.execute("SELECT pc_id FROM agents ORDER BY updated_at DESC, pc_id");
  return rowsOf<{ pc_id: string }>(rs).map((r) => r.pc_id);
}

Deno.test("agents page: rows written before the migration come out in updated_at order", async () => {
  const all = await loadMigrations();
  const i = all.findIndex((m) => m.name.startsWith(MIGRATION));
  assert.ok(i > 0, "the migration exists");
  const t = await tempDb({ migrate: false });
  try {
    await migrate(t.db, all.slice(0, i));
    // Inserted out of updated_at order: their revs (insert trigger) follow insertion.
    const rows: [string, string][] = [
      ["PC-C", "2026-12-06T09:59:50.000000000Z"],
      ["PC-A", "2026-12-06T09:59:59.000000000Z"],
      ["PC-B", "2026-12-06T09:59:59.000000000Z"],
      ["PC-D", "2026-12-06T08:00:00.000000000Z"],
      ["PC-E", "2026-12-06T09:59:55.000000000Z"],
    ];
    for (const [pc, at] of rows) {
      await t.db.execute({
        sql: "INSERT INTO agents (pc_id, last_heartbeat, updated_at) VALUES (?, ?, ?)",
        args: [pc, at, at],
      });
    }
    await t.db.execute("INSERT INTO agents_removed (pc_id, rev) VALUES ('PC-GONE', 40)");
    const before = await pageIds(t.db);
    assert.deepEqual(before, ["PC-E", "PC-D", "PC-B", "PC-A", "PC-C"], "insertion order before");
    await migrate(t.db, all);
    const want = ["PC-A", "PC-B", "PC-E", "PC-C", "PC-D"];
    assert.deepEqual(await byUpdatedAt(t.db), want);
    assert.deepEqual(await pageIds(t.db), want);
    assert.deepEqual(await pageIds(t.db, "offline"), ["PC-D"]);
    assert.deepEqual(await pageIds(t.db, "online"), ["PC-A", "PC-B", "PC-E", "PC-C"]);
    // The offline page from the presence view (no last_heartbeat index any more) is the
    // SQL one, with a never-beating agent and paging (PC-C, updated last, comes first).
    await t.db.execute(
      "INSERT INTO agents (pc_id, updated_at) VALUES ('PC-N', '2026-12-06T07:00:00.000000000Z')",
    );
    await t.db.execute({
      sql: "UPDATE agents SET last_heartbeat = ? WHERE pc_id = 'PC-C'",
      args: ["2026-12-06T09:00:00.000000000Z"],
    });
    const follower = new PresenceFollower(t.db);
    await follower.sync();
    for (const [offset, limit] of [[0, 50], [0, 2], [1, 1], [2, 5], [3, 5]]) {
      const sql = await pageIds(t.db, "offline", { offset, limit });
      assert.deepEqual(await pageIds(t.db, "offline", { offset, limit }, follower), sql);
      if (offset === 0 && limit === 50) assert.deepEqual(sql, ["PC-C", "PC-N", "PC-D"]);
    }
    // Revisions only grew (followers see every row as changed), ties share one.
    const revs = rowsOf<{ pc_id: string; rev: number }>(
      await t.db.execute("SELECT pc_id, rev FROM agents ORDER BY pc_id"),
    );
    for (const r of revs) assert.ok(r.rev > 40, `${r.pc_id} rev ${r.rev}`);
    const rev = Object.fromEntries(revs.map((r) => [r.pc_id, r.rev]));
    assert.equal(rev["PC-A"], rev["PC-B"]);
    const plan = rowsOf<{ detail: string }>(
      await t.db.execute("EXPLAIN QUERY PLAN SELECT * FROM agents ORDER BY rev DESC, pc_id"),
    ).map((r) => r.detail).join("; ");
    assert.match(plan, /USING INDEX idx_agents_rev_pc/);
    assert.doesNotMatch(plan, /TEMP B-TREE/, "no sort per page");
  } finally {
    await t.close();
  }
});

Deno.test("agents page: heartbeat batches keep the updated_at order, newest batch first", async () => {
  const t = await tempDb();
  try {
    const beat = (pc_id: string, at: string) => ({ pc_id, at, agent_version: "1.0" });
    await inWriteTx(t.db, (tx) =>
      applyHeartbeats(tx, [
        beat("PC-2", "2026-12-06T09:59:00Z"),
        beat("PC-1", "2026-12-06T09:59:01Z"),
        beat("PC-3", "2026-12-06T09:59:02Z"),
      ]));
    await new Promise((r) => setTimeout(r, 5)); // a later batch has a later updated_at
    await inWriteTx(
      t.db,
      (tx) =>
        applyHeartbeats(tx, [
          beat("PC-3", "2026-12-06T09:59:30Z"),
          beat("PC-4", "2026-12-06T09:59:31Z"),
        ]),
    );
    assert.deepEqual(await byUpdatedAt(t.db), ["PC-3", "PC-4", "PC-1", "PC-2"]);
    assert.deepEqual(await pageIds(t.db), ["PC-3", "PC-4", "PC-1", "PC-2"]);
  } finally {
    await t.close();
  }
});
