/**
 * The libSQL store. A local file (embedded default) gets WAL and a busy timeout; a remote
 * libSQL server (`libsql://`, `http(s)://`) uses the same client and queries.
 */
import { type Client, createClient, type InStatement, type ResultSet } from "@libsql/client";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

export type Db = Client;
export type { InStatement, ResultSet };

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
  // `timeout` reaches every connection the client's pool opens (PRAGMAs below only the
  // first one, which serves every call that is not overlapping a transaction).
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
    await db.execute("PRAGMA synchronous = NORMAL");
    await db.execute("PRAGMA foreign_keys = ON");
  }
  return withBusyRetry(db, opts.retryBusyForMs ?? 3_000);
}

/**
 * Retry SQLITE_BUSY asynchronously (the event loop keeps serving) with a growing pause,
 * for `execute`, `batch` and the start of a `transaction` — all safe to repeat because a
 * busy error means nothing was written.
 */
export function withBusyRetry(db: Client, retryForMs: number): Client {
  const retrying = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...args: A) => {
    const until = Date.now() + retryForMs;
    let pause = 10;
    for (;;) {
      try {
        return await fn(...args);
      } catch (e) {
        if (!isBusy(e) || Date.now() + pause > until) throw e;
        await new Promise((r) => setTimeout(r, pause));
        pause = Math.min(pause * 2, 200);
      }
    }
  };
  const execute = retrying(db.execute.bind(db) as (...a: unknown[]) => Promise<ResultSet>);
  const batch = retrying(db.batch.bind(db) as (...a: unknown[]) => Promise<ResultSet[]>);
  const transaction = retrying(db.transaction.bind(db) as (...a: unknown[]) => Promise<unknown>);
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "execute") return execute;
      if (prop === "batch") return batch;
      if (prop === "transaction") return transaction;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
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
