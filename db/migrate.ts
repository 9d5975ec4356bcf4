/**
 * Timestamp-prefixed SQL migrations (`db/migrations/<yyyymmddhhmmss>_<name>.sql`), applied
 * once each, in name order, recorded in `_migrations`. Safe to run concurrently from
 * several processes: each file runs in one write transaction that re-checks first.
 */
import type { Db } from "./client.ts";
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

/** Split a SQL file into statements (no triggers with inner semicolons in our files). */
export function splitStatements(sql: string): string[] {
  return sql
    .split("\n")
    .filter((l) => !l.trim().startsWith("--"))
    .join("\n")
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function migrate(db: Db, migrations?: Migration[]): Promise<string[]> {
  await db.execute(
    "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
  );
  const list = migrations ?? await loadMigrations();
  const applied: string[] = [];
  for (const m of list) {
    const tx = await db.transaction("write");
    try {
      const seen = await tx.execute({
        sql: "SELECT 1 FROM _migrations WHERE name = ?",
        args: [m.name],
      });
      if (seen.rows.length > 0) {
        await tx.rollback();
        continue;
      }
      for (const stmt of splitStatements(m.sql)) await tx.execute(stmt);
      await tx.execute({
        sql: "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
        args: [m.name, nowDb()],
      });
      await tx.commit();
      applied.push(m.name);
    } catch (e) {
      await tx.rollback().catch(() => {});
      throw new Error(`migration ${m.name} failed: ${(e as Error).message}`, { cause: e });
    } finally {
      tx.close();
    }
  }
  return applied;
}
