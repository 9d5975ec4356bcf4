/**
 * Timestamp-prefixed SQL migrations (`db/migrations/<yyyymmddhhmmss>_<name>.sql`), applied
 * once each, in name order, recorded in `_migrations`. Safe to run concurrently from
 * several processes: each file runs in one write transaction that re-checks first.
 * Against a libSQL server a file's transaction can be dropped under it (server restart,
 * or sqld rolling back a writer that held the lock past its 5 s while another process
 * waited to migrate): nothing of it was kept, so it is tried again for a while.
 */
import { type Db, inWriteTx } from "./client.ts";
import { isTransientDbError } from "./remote.ts";
import { retryWhile } from "../util/retry.ts";
import { nowDb } from "../wire/time.ts";

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

export interface Migration {
  name: string;
  sql: string;
}

export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const out: Migration[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^\d{14}_[a-z0-9_]+\.sql$/.test(e.name)) {
      out.push({ name: e.name, sql: await Deno.readTextFile(new URL(e.name, dir)) });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Split a SQL file into statements at `;`. A `CREATE TRIGGER` runs to its `END;`, so the
 * semicolons of its body stay inside it. Comment lines (`--`) are dropped.
 */
export function splitStatements(sql: string): string[] {
  const parts = sql
    .split("\n")
    .filter((l) => !l.trim().startsWith("--"))
    .join("\n")
    .split(";");
  const out: string[] = [];
  let trigger: string[] | null = null;
  for (const raw of parts) {
    const s = raw.trim();
    if (trigger) {
      trigger.push(s);
      if (/^END$/i.test(s) || /\bEND$/i.test(s)) {
        out.push(trigger.join(";\n"));
        trigger = null;
      }
      continue;
    }
    if (!s) continue;
    if (/^CREATE\s+(TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(s)) trigger = [s];
    else out.push(s);
  }
  if (trigger) throw new Error(`CREATE TRIGGER without END: ${trigger[0].slice(0, 60)}`);
  return out;
}

export interface MigrateOptions {
  /** How long a migration dropped by a transient DB error is retried, ms (default 30 s). */
  retryForMs?: number;
}

export async function migrate(
  db: Db,
  migrations?: Migration[],
  opts: MigrateOptions = {},
): Promise<string[]> {
  const until = Date.now() + (opts.retryForMs ?? 30_000);
  const retrying = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    retryWhile(fn, { transient: isTransientDbError, until, firstPauseMs: 100, maxPauseMs: 2_000 })
      .catch((e) => {
        throw new Error(`${what} failed: ${(e as Error).message}`, { cause: e });
      });
  await retrying("migrations table", () =>
    db.execute(
      "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    ));
  const list = migrations ?? await loadMigrations();
  const applied: string[] = [];
  for (const m of list) {
    if (await retrying(`migration ${m.name}`, () => applyOne(db, m))) applied.push(m.name);
  }
  return applied;
}

/** One file in one write transaction; false when another process had applied it. */
async function applyOne(db: Db, m: Migration): Promise<boolean> {
  return await inWriteTx(db, async (tx) => {
    const seen = await tx.execute({
      sql: "SELECT 1 FROM _migrations WHERE name = ?",
      args: [m.name],
    });
    // Nothing written yet: committing the empty transaction just lets it go.
    if (seen.rows.length > 0) return false;
    for (const stmt of splitStatements(m.sql)) await tx.execute(stmt);
    await tx.execute({
      sql: "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
      args: [m.name, nowDb()],
    });
    return true;
  });
}
