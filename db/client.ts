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
  /** Busy timeout for a local file, milliseconds. */
  busyTimeoutMs?: number;
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
  const db = createClient({ url: opts.url, authToken: opts.authToken, intMode: "number" });
  if (isLocalUrl(opts.url)) {
    await db.execute("PRAGMA journal_mode = WAL");
    await db.execute(`PRAGMA busy_timeout = ${opts.busyTimeoutMs ?? 30_000}`);
    await db.execute("PRAGMA synchronous = NORMAL");
    await db.execute("PRAGMA foreign_keys = ON");
  }
  return db;
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
