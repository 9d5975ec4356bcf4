/**
 * A write refused with SQLITE_BUSY (another connection holds the write lock) must leave
 * the refused connection clean: once the lock is gone its writes are committed and seen
 * by other connections, and it holds no lock. Real libSQL file, two clients.
 */
import assert from "node:assert/strict";
import { type Client, createClient } from "@libsql/client";
import { DEFAULT_CACHE_MIB, isBusy, isWriteSql, openDb } from "./client.ts";

async function tempDbUrl(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-db-" });
  return `file:${dir}/busy.db`;
}

/** Another connection (own client, like another process) holding the write lock. */
async function holdWriteLock(url: string) {
  const holder = createClient({ url, intMode: "number" });
  const tx = await holder.transaction("write");
  await tx.execute("INSERT INTO t (x, who) VALUES (0, 'holder')");
  return {
    async release() {
      await tx.commit();
      holder.close();
    },
  };
}

/** A separate client's view: what is committed, and whether it can write now. */
async function outsideView(url: string) {
  const probe = createClient(
    { url, intMode: "number", timeout: 0 } as Parameters<
      typeof createClient
    >[0],
  );
  try {
    const rs = await probe.execute("SELECT who FROM t ORDER BY x, who");
    let canWrite = true;
    try {
      await probe.execute("INSERT INTO t (x, who) VALUES (99, 'probe')");
    } catch (e) {
      if (!isBusy(e)) throw e;
      canWrite = false;
    }
    return { committed: rs.rows.map((r) => String(r.who)), canWrite };
  } finally {
    probe.close();
  }
}

async function setup(): Promise<{ url: string; db: Client }> {
  const url = await tempDbUrl();
  // Short waits: the refusal must come quickly, this is about what it leaves behind.
  const db = await openDb({ url, busyTimeoutMs: 20, retryBusyForMs: 50 });
  await db.execute("CREATE TABLE t (x INTEGER, who TEXT)");
  return { url, db };
}

const refusals: [string, (db: Client) => Promise<unknown>][] = [
  ["transaction('write')", (db) => db.transaction("write")],
  ["execute(INSERT)", (db) => db.execute("INSERT INTO t (x, who) VALUES (1, 'refused')")],
  ["batch(write)", (db) => db.batch(["INSERT INTO t (x, who) VALUES (1, 'refused')"], "write")],
];

for (const [what, refuse] of refusals) {
  Deno.test(`db: a busy ${what} leaves the connection clean for later writes`, async () => {
    const { url, db } = await setup();
    try {
      const lock = await holdWriteLock(url);
      await assert.rejects(refuse(db), (e) => isBusy(e), `${what} under a held lock`);
      // Reads go on under the lock (WAL) and through the same client.
      assert.equal((await db.execute("SELECT COUNT(*) AS n FROM t")).rows[0].n, 0);
      await lock.release();

      await db.execute("INSERT INTO t (x, who) VALUES (2, 'execute')");
      await db.batch(["INSERT INTO t (x, who) VALUES (3, 'batch')"], "write");
      const tx = await db.transaction("write");
      await tx.execute("INSERT INTO t (x, who) VALUES (4, 'tx')");
      await tx.commit();

      const seen = await outsideView(url);
      assert.deepEqual(seen.committed, ["holder", "execute", "batch", "tx"]);
      assert.ok(seen.canWrite, "the refused client must not keep the write lock");
      // And no stale snapshot on the refused client: it sees the probe's row.
      const rs = await db.execute("SELECT COUNT(*) AS n FROM t WHERE who = 'probe'");
      assert.equal(rs.rows[0].n, 1);
    } finally {
      db.close();
    }
  });
}

Deno.test("db: a busy transaction start is retried until the lock is released", async () => {
  const url = await tempDbUrl();
  const db = await openDb({ url, busyTimeoutMs: 20, retryBusyForMs: 10_000 });
  try {
    await db.execute("CREATE TABLE t (x INTEGER, who TEXT)");
    const lock = await holdWriteLock(url);
    const released = new Promise((r) => setTimeout(r, 300)).then(() => lock.release());
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t (x, who) VALUES (1, 'after')");
    await tx.commit();
    await released;
    assert.deepEqual((await outsideView(url)).committed, ["holder", "after"]);
  } finally {
    db.close();
  }
});

Deno.test("isWriteSql() tells writes from reads and PRAGMAs", () => {
  for (
    const w of [
      "INSERT INTO t VALUES (1)",
      "  update t set x = 1",
      "-- note\nDELETE FROM t",
      "/* c */ REPLACE INTO t VALUES (1)",
      "CREATE TABLE IF NOT EXISTS x (a)",
      "WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a",
    ]
  ) assert.ok(isWriteSql(w), w);
  for (
    const r of [
      "SELECT * FROM t",
      "PRAGMA journal_mode = WAL",
      "WITH a AS (SELECT 1) SELECT * FROM a",
      "EXPLAIN QUERY PLAN SELECT 1",
      "",
    ]
  ) assert.ok(!isWriteSql(r), r);
});

Deno.test("two handles to one file: a write queues behind the other's transaction, the event loop keeps running", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `file:${dir}/gate.db`;
    const a = await openDb({ url });
    // Without the process's write gate this write would meet SQLITE_BUSY and wait in
    // SQLite's busy handler, 200 ms per try with the event loop frozen.
    const b = await openDb({ url, retryBusyForMs: 2_000 });
    await a.execute("CREATE TABLE t (x INTEGER)");
    const tx = await a.transaction("write");
    await tx.execute("INSERT INTO t VALUES (1)");
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const queued = b.execute("INSERT INTO t VALUES (2)");
    await new Promise((r) => setTimeout(r, 400));
    clearInterval(timer);
    assert.ok(ticks >= 30, `the event loop ran while the write waited (${ticks} ticks)`);
    await tx.commit();
    tx.close();
    await queued;
    const n = (await a.execute("SELECT COUNT(*) AS n FROM t")).rows[0].n;
    assert.equal(Number(n), 2);
    // A write that gets no turn within its busy budget fails as busy, and writes nothing later.
    const c = await openDb({ url, retryBusyForMs: 50 });
    const tx2 = await a.transaction("write");
    await assert.rejects(c.execute("INSERT INTO t VALUES (3)"), (e) => isBusy(e));
    await tx2.commit();
    tx2.close();
    await new Promise((r) => setTimeout(r, 50));
    const n2 = (await a.execute("SELECT COUNT(*) AS n FROM t")).rows[0].n;
    assert.equal(Number(n2), 2);
    c.close();
    a.close();
    b.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every pooled connection that writes runs with the write settings, not SQLite's defaults", async () => {
  const url = await tempDbUrl();
  const db = await openDb({ url });
  try {
    await db.execute("CREATE TABLE t (x INTEGER, who TEXT)");
    const settings = async (tx: { execute(sql: string): Promise<{ rows: unknown[] }> }) => {
      const one = async (name: string) =>
        Object.values((await tx.execute(`PRAGMA ${name}`)).rows[0] as object)[0];
      return {
        synchronous: await one("synchronous"),
        cache_size: await one("cache_size"),
        wal_autocheckpoint: await one("wal_autocheckpoint"),
      };
    };
    const want = {
      synchronous: 1,
      cache_size: -DEFAULT_CACHE_MIB * 1024,
      wal_autocheckpoint: 16384,
    };
    // A read transaction holds the client's first connection, so the writes below run on
    // further connections of its pool, opened with SQLite's defaults.
    const reader = await db.transaction("read");
    try {
      await reader.execute("SELECT COUNT(*) FROM t");
      const first = await db.transaction("write");
      try {
        assert.deepEqual(await settings(first), want);
        await first.execute("INSERT INTO t (x, who) VALUES (1, 'first')");
      } finally {
        await first.commit();
      }
      // An execute that writes takes the same path as a transaction.
      await db.execute("INSERT INTO t (x, who) VALUES (2, 'execute')");
      const second = await db.transaction("write");
      try {
        assert.deepEqual(await settings(second), want);
      } finally {
        await second.commit();
      }
    } finally {
      reader.close();
    }
    const rs = await db.execute("SELECT COUNT(*) AS n FROM t");
    assert.equal(Number(rs.rows[0].n), 2);
  } finally {
    db.close();
  }
});

Deno.test("a client opened with its own page cache size writes with it on every pooled connection", async () => {
  const url = await tempDbUrl();
  const db = await openDb({ url, cacheMiB: 64 });
  try {
    await db.execute("CREATE TABLE t (x INTEGER)");
    const cacheOf = async (tx: { execute(sql: string): Promise<{ rows: unknown[] }> }) =>
      Object.values((await tx.execute("PRAGMA cache_size")).rows[0] as object)[0];
    const reader = await db.transaction("read"); // the writes below get further connections
    try {
      for (let i = 0; i < 2; i++) {
        const tx = await db.transaction("write");
        try {
          assert.equal(await cacheOf(tx), -65536);
          await tx.execute({ sql: "INSERT INTO t (x) VALUES (?)", args: [i] });
        } finally {
          await tx.commit();
        }
      }
    } finally {
      reader.close();
    }
  } finally {
    db.close();
  }
});
