import assert from "node:assert/strict";
import { openDb } from "./client.ts";
import { startWalCheckpointer } from "./wal_checkpointer.ts";

const quiet = { warn: () => {}, error: () => {} };

Deno.test("WAL checkpointer: copies the WAL into the file from its own thread, every tick", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kanade-ckpt-" });
  const url = `file:${dir}/c.db`;
  const db = await openDb({ url });
  const cp = startWalCheckpointer(url, quiet, { everyMs: 50 });
  try {
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)");
    await db.batch(
      Array.from({ length: 2000 }, (_, i) => ({
        sql: "INSERT INTO t (id, body) VALUES (?, ?)",
        args: [i, "x".repeat(200)],
      })),
      "write",
    );
    // The timer's checkpoints: one of them sees the rows' frames and copies all of them.
    const until = Date.now() + 10_000;
    while (!(cp.stats.lastLog > 0 && cp.stats.lastCheckpointed === cp.stats.lastLog)) {
      assert.ok(Date.now() < until, `no full checkpoint: ${JSON.stringify(cp.stats)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(cp.stats.lastBusy, false);
    assert.equal(cp.stats.failures, 0);
    // The file itself now holds the rows: a copy of it alone (no WAL) reads them.
    await Deno.copyFile(`${dir}/c.db`, `${dir}/copy.db`);
    const copy = await openDb({ url: `file:${dir}/copy.db` });
    try {
      const n = (await copy.execute("SELECT COUNT(*) AS n FROM t")).rows[0].n;
      assert.equal(Number(n), 2000);
    } finally {
      copy.close();
    }
  } finally {
    await cp.stop();
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WAL checkpointer: a failure is counted and told once, not thrown", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kanade-ckpt-" });
  const warned: string[] = [];
  // A directory where the database file should be: the thread's connection cannot open it.
  await Deno.mkdir(`${dir}/not-a-file.db`);
  const cp = startWalCheckpointer(`file:${dir}/not-a-file.db`, {
    warn: (m) => warned.push(m),
    error: (m) => warned.push(m),
  }, { everyMs: 60_000 });
  try {
    await cp.checkpoint();
    await cp.checkpoint();
    assert.equal(cp.stats.failures, 2);
    assert.equal(cp.stats.checkpoints, 0);
    assert.deepEqual(warned, ["WAL checkpoint failed"]);
    await cp.stop();
    // After stop: answered at once with the counts, not left hanging.
    assert.equal((await cp.checkpoint()).failures, 2);
  } finally {
    await cp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
