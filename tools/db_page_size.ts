/**
 * `deno task db-page-size [--db file:/path/kanade.db]`: rewrites a local database file with
 * the page size new files get (db/client.ts PAGE_SIZE; why there). SQLite changes the page
 * size of an existing file only by rewriting it (VACUUM), which it refuses in WAL mode, so
 * the file leaves WAL for the rewrite and returns to it. Offline: leaving WAL needs the only
 * connection to the file, so a running backend makes it fail ("database is locked")
 * without changing anything. Needs free disk space about the size of the file.
 */
import { createClient } from "@libsql/client";
import { PAGE_SIZE } from "../db/client.ts";

export interface PageSizeChange {
  before: number;
  after: number;
  ms: number;
}

/**
 * The page size in a database file's header (bytes 16-17, big-endian; 1 means 65536). Read
 * from the file: a libSQL client keeps the file open until its statements are collected,
 * which would keep the rewrite below from leaving WAL.
 */
export async function filePageSize(path: string): Promise<number> {
  const f = await Deno.open(path);
  try {
    const head = new Uint8Array(18);
    if ((await f.read(head)) !== 18) throw new Error(`${path}: not a database file`);
    const size = (head[16] << 8) | head[17];
    return size === 1 ? 65536 : size;
  } finally {
    f.close();
  }
}

/**
 * Rewrites the file behind `url` with `pageSize` pages (nothing to do: before = after).
 * Run it in its own process (`deno task db-page-size`): a connection this process still
 * has to the file counts as another user of it.
 */
export async function convertPageSize(url: string, pageSize = PAGE_SIZE): Promise<PageSizeChange> {
  if (!url.startsWith("file:")) throw new Error(`not a local database file: ${url}`);
  const path = url.slice("file:".length).split("?")[0];
  const before = await filePageSize(path); // a typo must not create an empty database
  const t0 = performance.now();
  if (before !== pageSize) {
    const db = createClient({ url, timeout: 0 } as Parameters<typeof createClient>[0]);
    try {
      // One call, one connection: the page size is a setting of the connection that
      // vacuums. Leaving WAL fails (busy) while any other connection has the file open.
      await db.executeMultiple(
        `PRAGMA journal_mode = DELETE; PRAGMA page_size = ${pageSize}; VACUUM;
         PRAGMA journal_mode = WAL`,
      );
    } catch (e) {
      if (/SQLITE_BUSY|locked/.test(String(e))) {
        throw new Error("the file is in use: stop the backend first");
      }
      throw e;
    } finally {
      db.close();
    }
  }
  return { before, after: await filePageSize(path), ms: performance.now() - t0 };
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--db");
  const url = i >= 0 ? Deno.args[i + 1] : Deno.env.get("KANADE_DB_URL");
  if (Deno.args.includes("--help") || !url) {
    console.log(
      "usage: deno task db-page-size [--db file:/path/kanade.db]  (default: KANADE_DB_URL)\n" +
        `Rewrites the file with ${PAGE_SIZE}-byte pages. Stop the backend first.`,
    );
    Deno.exit(url ? 0 : 2);
  }
  try {
    const r = await convertPageSize(url);
    console.log(
      r.before === r.after && r.ms < 1
        ? `${url}: already ${r.after}-byte pages`
        : `${url}: ${r.before} → ${r.after}-byte pages in ${(r.ms / 1000).toFixed(1)} s`,
    );
  } catch (e) {
    console.error(`db-page-size: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
