/**
 * The libSQL store. A local file (embedded default) gets WAL and a busy timeout; a remote
 * libSQL server (`libsql://`, `http(s)://`) uses the same client and queries.
 */
import {
  type Client,
  createClient,
  type InStatement,
  type ResultSet,
  type Transaction,
  type TransactionMode,
} from "@libsql/client";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { retryWhile } from "../util/retry.ts";
import { type WriteGate, writeGateFor, type WritePriority } from "./write_gate.ts";

export type Db = Client;
export type { InStatement, ResultSet, Transaction };

export interface OpenOptions {
  url: string;
  authToken?: string;
  /**
   * SQLite's own busy wait per statement, milliseconds (default 200). libSQL's local calls
   * are synchronous, so this wait blocks the event loop: keep it short and let
   * `retryBusyForMs` wait asynchronously instead.
   */
  busyTimeoutMs?: number;
  /** How long a busy `execute`/`batch`/`transaction` start is retried, ms (default 3000). */
  retryBusyForMs?: number;
  /**
   * Page cache per connection of this client, MiB (default DEFAULT_CACHE_MIB). Each pooled
   * connection fills its own up to this size and keeps it while the process lives.
   */
  cacheMiB?: number;
}

/**
 * 32 MiB: the pages a steady fleet touches (the `agents` table and its index, ~20 MB at
 * 100,000 agents, every heartbeat batch touching random pages) fit, where SQLite's default
 * 2 MiB does not. Not more: every connection keeps its cache full for good, and with 64 MiB
 * on each the backend's RSS between bursts crept from ~300 to 430–475 MiB at 100,000 agents
 * (the pages an exec to all and its start events had passed through), over the 400 MB the
 * fleet's steady memory is held to. The results writer, which writes a whole burst,
 * opens with 64 and gives its cache back after the burst (lib/memory_return.ts).
 */
export const DEFAULT_CACHE_MIB = 32;

/**
 * `fn` in one write transaction: committed when it returns, rolled back when it throws
 * (a failed rollback is dropped so that `fn`'s error is the one seen), and the connection
 * handed back to the pool either way.
 */
export async function inWriteTx<R>(db: Db, fn: (tx: Transaction) => Promise<R>): Promise<R> {
  const tx = await db.transaction("write");
  try {
    const r = await fn(tx);
    await tx.commit();
    return r;
  } catch (e) {
    await tx.rollback().catch(() => {});
    throw e;
  } finally {
    tx.close();
  }
}

/**
 * Gives a local database's page cache back (`PRAGMA shrink_memory`, on the connection the
 * pool hands out: clients here use one at a time) after a burst (lib/memory_return.ts): the
 * pages the burst passed through are not the steady fleet's. Nothing for a server.
 */
export async function releaseDbMemory(db: Db, url: string): Promise<void> {
  if (isLocalUrl(url)) await db.execute("PRAGMA shrink_memory");
}

export function isLocalUrl(url: string): boolean {
  return url.startsWith("file:") || url === ":memory:";
}

export async function openDb(opts: OpenOptions): Promise<Db> {
  if (opts.url.startsWith("file:")) {
    const path = opts.url.slice("file:".length).split("?")[0];
    const dir = dirname(path.startsWith("//") ? fileURLToPath(opts.url) : path);
    if (dir && dir !== ".") await Deno.mkdir(dir, { recursive: true });
  }
  const busyMs = opts.busyTimeoutMs ?? 200;
  const pragmas = writeConnectionPragmas(opts.cacheMiB ?? DEFAULT_CACHE_MIB);
  // `timeout` reaches every connection the client's pool opens; the PRAGMAs below only the
  // first one (journal_mode is stored in the file; every writing connection gets the rest of
  // its settings at each write transaction: writeConnectionPragmas).
  const db = createClient(
    {
      url: opts.url,
      authToken: opts.authToken,
      intMode: "number",
      timeout: busyMs,
    } as Parameters<typeof createClient>[0],
  );
  if (isLocalUrl(opts.url)) {
    await db.execute("PRAGMA journal_mode = WAL");
    await db.execute(`PRAGMA busy_timeout = ${busyMs}`);
    for (const p of pragmas) await db.execute(p);
  }
  const retried = withBusyRetry(
    isLocalUrl(opts.url) ? withCleanBusy(db, pragmas) : db,
    opts.retryBusyForMs ?? 3_000,
  );
  if (!opts.url.startsWith("file:")) return retried;
  const gate = writeGateFor(opts.url.slice("file:".length).split("?")[0]);
  const gated = withWriteGate(retried, gate, opts.retryBusyForMs ?? 3_000);
  gates.set(gated, { gate, inner: retried });
  return gated;
}

const gates = new WeakMap<Db, { gate: WriteGate; inner: Client }>();

/**
 * The same database whose writes wait up to `maxWaitMs` for their turn in the process's
 * write queue. For projectors: waiting behind a results batch beats a nak and a
 * redelivery of the whole batch; API handlers keep the short wait (their caller gets 503).
 */
export function withWriteWait(db: Db, maxWaitMs: number, priority: WritePriority = "bulk"): Db {
  const g = gates.get(db);
  if (!g) return db;
  const d = withWriteGate(g.inner, g.gate, maxWaitMs, priority);
  gates.set(d, g);
  return d;
}

/**
 * `fn` holding the process's write gate of `db`'s file (db/write_gate.ts), for a write
 * made on another connection to it (the results writer thread); `fn` alone for a remote
 * database.
 */
export function withWriteLock<R>(
  db: Db | null,
  fn: () => Promise<R>,
  maxWaitMs: number,
  priority: WritePriority = "bulk",
): Promise<R> {
  const gate = db ? gates.get(db)?.gate : undefined;
  return gate ? gate.run(fn, maxWaitMs, priority) : fn();
}

/**
 * Every write of `db` (a write transaction, a write `execute`/`batch`) queued at the
 * process's gate of its file: see db/write_gate.ts for why. A transaction holds the gate
 * from its start until it commits, rolls back or closes.
 */
export function withWriteGate(
  db: Client,
  gate: WriteGate,
  maxWaitMs: number,
  priority: WritePriority = "interactive",
): Client {
  const transaction = async (mode: TransactionMode = "write"): Promise<Transaction> => {
    if (mode === "read") return db.transaction(mode);
    const release = await gate.acquire(maxWaitMs, priority);
    let tx: Transaction;
    try {
      tx = await db.transaction(mode);
    } catch (e) {
      release();
      throw e;
    }
    const ending = (name: "commit" | "rollback" | "close") => {
      const f = (tx[name] as () => unknown).bind(tx);
      return () => {
        try {
          const r = f();
          return r instanceof Promise ? r.finally(release) : (release(), r);
        } catch (e) {
          release();
          throw e;
        }
      };
    };
    const own = { commit: ending("commit"), rollback: ending("rollback"), close: ending("close") };
    return new Proxy(tx, {
      get(target, prop, receiver) {
        if (prop in own) return own[prop as keyof typeof own];
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  };
  const execute = (stmt: InStatement | string, args?: unknown) => {
    const s = (typeof stmt === "string" && args !== undefined ? { sql: stmt, args } : stmt) as
      | InStatement
      | string;
    return isWriteSql(sqlOf(s))
      ? gate.run(() => db.execute(s), maxWaitMs, priority)
      : db.execute(s);
  };
  const batch = (stmts: InStatement[], mode?: TransactionMode) =>
    mode === "write" || stmts.some((s) => isWriteSql(sqlOf(s)))
      ? gate.run(() => db.batch(stmts, mode), maxWaitMs, priority)
      : db.batch(stmts, mode);
  return overriding(db, { execute, batch, transaction });
}

/**
 * Settings of every local connection that writes, applied at the start of each write
 * transaction. The client pools connections and only the first gets openDb's PRAGMAs; the
 * others start with SQLite's defaults, and these settings are per connection (they were
 * set by the JetStream projectors and the results writer on the connection they happened
 * to get, so a heartbeat or API write could run with the defaults):
 *  - `synchronous = NORMAL` (the default FULL syncs the WAL at every commit);
 *  - the client's page cache size (OpenOptions.cacheMiB) instead of SQLite's 2 MiB;
 *  - a WAL checkpoint every 16,384 pages (~64 MiB) instead of every 1,000. The threshold is
 *    checked by whichever connection commits: one connection left at 1,000 checkpoints
 *    (and syncs) after nearly every commit once a results batch has grown the WAL;
 *  - `foreign_keys = ON`.
 * Cheap to repeat: each is a setting, not work. Not for a libSQL server (it refuses PRAGMAs).
 * The page size stays SQLite's 4 KiB: 16 KiB pages write a fleet-wide burst of results
 * 1.2× faster but a heartbeat batch 1.2× slower with 2.6× its WAL bytes (bench page_size).
 */
export function writeConnectionPragmas(cacheMiB: number = DEFAULT_CACHE_MIB): string[] {
  return [
    "PRAGMA synchronous = NORMAL",
    `PRAGMA cache_size = -${Math.round(cacheMiB * 1024)}`,
    "PRAGMA wal_autocheckpoint = 16384",
    "PRAGMA foreign_keys = ON",
  ];
}

/**
 * Why local writes never meet SQLITE_BUSY inside a prepared statement.
 *
 * SQLite parks a statement that hits SQLITE_BUSY while taking the write lock (its
 * `OP_Transaction`) so it can be resumed: it stays "active" until reset or finalized.
 * @libsql/client's local driver prepares a fresh statement per call and neither resets nor
 * finalizes one that failed, and its pool sees the connection out of any transaction and
 * hands it out again. On that connection:
 *  - COMMIT fails with "cannot commit transaction - SQL statements in progress";
 *  - an autocommit write reports success but is not committed (SQLite commits only when
 *    the finishing statement is the last active writer): the connection keeps the write
 *    lock, every other connection gets SQLITE_BUSY, and the write is rolled back when
 *    the connection closes;
 *  - an autocommit read keeps its read transaction, so later reads see a stale snapshot.
 * A refused `BEGIN IMMEDIATE` (`transaction("write")`), a busy `execute` write and a busy
 * `batch` all do this (db/client_test.ts shows each).
 *
 * So every write takes the lock through `executeMultiple` (sqlite3_exec-style: each
 * statement is finalized before the call returns, whatever the outcome), and only once
 * it holds the lock runs its statements: in WAL mode nothing inside an IMMEDIATE
 * transaction waits for a lock again. The transaction itself is opened DEFERRED, which
 * only flips the autocommit flag and cannot be busy. A `"deferred"` transaction may write,
 * so it is served IMMEDIATE too; `"read"` transactions and reads pass through (a writer's
 * lock never blocks a WAL reader).
 */
export function withCleanBusy(db: Client, pragmas = writeConnectionPragmas()): Client {
  const begin = async (): Promise<Transaction> => {
    const tx = await db.transaction("deferred");
    try {
      // The empty deferred transaction gives way to an immediate one on the same
      // connection; refused, the connection is back in autocommit with nothing active.
      // Between the two, outside any transaction, the connection gets the settings every
      // writer needs (writeConnectionPragmas): whichever pooled connection this is.
      await tx.executeMultiple(`ROLLBACK; ${pragmas.join("; ")}; BEGIN IMMEDIATE`);
    } catch (e) {
      tx.close();
      throw e;
    }
    return tx;
  };
  const inTx = async <R>(fn: (tx: Transaction) => Promise<R>): Promise<R> => {
    const tx = await begin();
    try {
      const r = await fn(tx);
      await tx.commit();
      return r;
    } finally {
      tx.close();
    }
  };
  const transaction = (mode: TransactionMode = "write") =>
    mode === "read" ? db.transaction(mode) : begin();
  const execute = (stmt: InStatement | string, args?: unknown) => {
    const s = (typeof stmt === "string" && args !== undefined ? { sql: stmt, args } : stmt) as
      | InStatement
      | string;
    return isWriteSql(sqlOf(s)) ? inTx((tx) => tx.execute(s)) : db.execute(s);
  };
  const batch = (stmts: InStatement[], mode?: TransactionMode) =>
    mode === "write" || stmts.some((s) => isWriteSql(sqlOf(s)))
      ? inTx((tx) => tx.batch(stmts))
      : db.batch(stmts, mode);
  return overriding(db, { execute, batch, transaction });
}

/** `db` with its `execute`, `batch` and `transaction` replaced (the rest bound to it). */
function overriding(db: Client, own: Pick<Record<keyof Client, unknown>, Overridden>): Client {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop in own) return own[prop as Overridden];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
type Overridden = "execute" | "batch" | "transaction";

function sqlOf(s: InStatement | string): string {
  if (typeof s === "string") return s;
  return Array.isArray(s) ? String(s[0]) : s.sql;
}

/** Leading whitespace and comments, then the first keyword. */
const FIRST_WORD = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*([A-Za-z]+)/;
const WRITE_WORDS = new Set(["INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"]);

/**
 * Whether a statement may take the write lock (and so must not run in autocommit mode).
 * A `WITH` is a write when it names a DML verb anywhere: a false positive only makes a
 * read wait for the write lock.
 */
export function isWriteSql(sql: string): boolean {
  const first = FIRST_WORD.exec(sql)?.[1]?.toUpperCase();
  if (!first) return false;
  if (WRITE_WORDS.has(first)) return true;
  return first === "WITH" && /\b(?:INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql);
}

/**
 * Retry SQLITE_BUSY asynchronously (the event loop keeps serving) with a growing pause,
 * for `execute`, `batch` and the start of a `transaction` — all safe to repeat because a
 * busy error means nothing was written.
 */
export function withBusyRetry(db: Client, retryForMs: number): Client {
  const retrying = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => (...args: A) =>
    retryWhile(() => fn(...args), {
      transient: isBusy,
      until: Date.now() + retryForMs,
      firstPauseMs: 10,
      maxPauseMs: 200,
    });
  const execute = retrying(db.execute.bind(db) as (...a: unknown[]) => Promise<ResultSet>);
  const batch = retrying(db.batch.bind(db) as (...a: unknown[]) => Promise<ResultSet[]>);
  const transaction = retrying(db.transaction.bind(db) as (...a: unknown[]) => Promise<unknown>);
  return overriding(db, { execute, batch, transaction });
}

/** First row as a plain object, or undefined. */
export function firstRow<T = Record<string, unknown>>(rs: ResultSet): T | undefined {
  return rs.rows[0] as unknown as T | undefined;
}

export function rowsOf<T = Record<string, unknown>>(rs: ResultSet): T[] {
  return rs.rows as unknown as T[];
}

/** True when an error from the DB means "locked/busy, try again later". */
export function isBusy(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? e);
  return /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked/i.test(msg);
}
