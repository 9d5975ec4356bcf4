import assert from "node:assert/strict";
import { tempDb } from "../tests/helpers/db.ts";
import { inWriteTx } from "../db/client.ts";
import { applyHeartbeats, decodeHeartbeat } from "./heartbeat.ts";

const te = new TextEncoder();
const beat = (o: Record<string, unknown>) =>
  decodeHeartbeat(te.encode(JSON.stringify({ agent_version: "0.43.45", ...o })));

Deno.test("applyHeartbeats: one statement writes what bound parameters wrote", async () => {
  const t = await tempDb();
  try {
    const rows = async () =>
      (await t.db.execute(
        `SELECT pc_id, hostname, last_heartbeat, os_family, agent_cpu_pct,
                typeof(agent_cpu_pct) AS cpu_t, agent_rss_bytes, typeof(agent_rss_bytes) AS rss_t,
                agent_disk_read_bytes, agent_disk_written_bytes, rev
         FROM agents ORDER BY pc_id`,
      )).rows.map((r) => ({ ...r }));
    const pcs = await inWriteTx(t.db, (tx) =>
      applyHeartbeats(tx, [
        beat({
          pc_id: "PC-A",
          at: "2026-12-06T10:00:00Z",
          hostname: "host-a",
          os_family: "windows",
          agent_cpu_pct: 5,
          agent_rss_bytes: 21_000_000,
        }),
        // A lone surrogate arrives as U+FFFD, as a bound string would (the key included).
        beat({ pc_id: "PC-\ud800", at: "2026-12-06T10:00:00.5+01:00", hostname: "h\udfff" }),
      ]));
    assert.deepEqual(pcs.sort(), ["PC-A", "PC-\ud800"]);
    assert.deepEqual(await rows(), [
      {
        pc_id: "PC-A",
        hostname: "host-a",
        last_heartbeat: "2026-12-06T10:00:00.000000000Z",
        os_family: "windows",
        agent_cpu_pct: 5,
        cpu_t: "real", // the column's REAL affinity, from a JSON integer
        agent_rss_bytes: 21_000_000,
        rss_t: "integer",
        agent_disk_read_bytes: null,
        agent_disk_written_bytes: null,
        rev: 1,
      },
      {
        pc_id: "PC-\ufffd",
        hostname: "h\ufffd",
        last_heartbeat: "2026-12-06T09:00:00.500000000Z",
        os_family: null,
        agent_cpu_pct: null,
        cpu_t: "null",
        agent_rss_bytes: null,
        rss_t: "null",
        agent_disk_read_bytes: null,
        agent_disk_written_bytes: null,
        rev: 1,
      },
    ]);
    // The next batch: hostname and os_family stick, the rest is overwritten (nulls too).
    await inWriteTx(t.db, (tx) =>
      applyHeartbeats(tx, [
        beat({
          pc_id: "PC-A",
          at: "2026-12-06T10:00:30Z",
          hostname: "renamed",
          os_family: null,
          agent_cpu_pct: 0.25,
          agent_disk_read_bytes: 7,
        }),
      ]));
    const [a] = await rows();
    assert.equal(a.hostname, "host-a");
    assert.equal(a.os_family, "windows");
    assert.equal(a.last_heartbeat, "2026-12-06T10:00:30.000000000Z");
    assert.equal(a.agent_cpu_pct, 0.25);
    assert.equal(a.agent_rss_bytes, null);
    assert.equal(a.agent_disk_read_bytes, 7);
    assert.equal(a.rev, 2);
  } finally {
    await t.close();
  }
});
