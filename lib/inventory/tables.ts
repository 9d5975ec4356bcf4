/**
 * Explode tables on disk: create them (pre-warm, projection, search), check that the
 * stored table still fits its spec, and refuse names that belong to anything but an
 * explode table (the `inventory_explode_tables` registry).
 */
import type { InStatement, ResultSet } from "@libsql/client";
import { nowDb } from "../../wire/time.ts";
import {
  addColumnDdl,
  checkStoredTable,
  type ExplodeTableSpec,
  type StoredColumn,
  tableDdl,
} from "./spec.ts";

/** A client or an open transaction (both run `batch` atomically). */
export interface SqlExec {
  execute(stmt: InStatement): Promise<ResultSet>;
  batch(stmts: InStatement[]): Promise<ResultSet[]>;
}

export interface StoredTable {
  registered: boolean;
  columns: StoredColumn[];
}

/** The stored shape of the named tables (lower-cased names → columns); absent = not stored. */
export async function storedTables(
  db: Pick<SqlExec, "execute">,
  names: string[],
): Promise<Map<string, StoredTable>> {
  const out = new Map<string, StoredTable>();
  if (!names.length) return out;
  const rs = await db.execute({
    sql: `SELECT m.name AS t, p.name AS c, p.type AS type, p.pk AS pk,
            EXISTS (SELECT 1 FROM inventory_explode_tables r WHERE r.name = m.name) AS reg
          FROM sqlite_master m JOIN pragma_table_info(m.name) p
          WHERE m.type IN ('table', 'view')
            AND lower(m.name) IN (SELECT lower(value) FROM json_each(?))`,
    args: [JSON.stringify(names)],
  });
  for (const r of rs.rows) {
    const key = String(r.t).toLowerCase();
    let t = out.get(key);
    if (!t) out.set(key, t = { registered: Number(r.reg) === 1, columns: [] });
    t.columns.push({ name: String(r.c), type: String(r.type ?? ""), pk: Number(r.pk) });
  }
  return out;
}

/**
 * Make every spec's table usable: create (and register) a missing one, add newly
 * declared non-key columns and indexes to an existing one. Returns, per spec table
 * (lower-cased), null when rows can be written or the reason they cannot.
 */
export async function ensureExplodeTables(
  db: SqlExec,
  specs: ExplodeTableSpec[],
): Promise<Map<string, string | null>> {
  const result = new Map<string, string | null>();
  const stored = await storedTables(db, [...new Set(specs.map((s) => s.table))]);
  for (const spec of specs) {
    const key = spec.table.toLowerCase();
    if (result.has(key)) continue;
    const t = stored.get(key);
    if (!t) {
      // Creation and registration commit together: a table on disk is always registered.
      await db.batch([
        ...tableDdl(spec),
        {
          sql: "INSERT OR IGNORE INTO inventory_explode_tables (name, created_at) VALUES (?, ?)",
          args: [spec.table, nowDb()],
        },
      ]);
      result.set(key, null);
      continue;
    }
    if (!t.registered) {
      result.set(
        key,
        `table "${spec.table}" already exists and is not an explode table; choose another name`,
      );
      continue;
    }
    const check = checkStoredTable(spec, t.columns);
    if (!check.ok) {
      result.set(key, check.error);
      continue;
    }
    for (const c of check.addColumns) {
      try {
        await db.execute(addColumnDdl(spec, c));
      } catch (e) {
        // Another writer (pre-warm, search, another node) added it since we looked.
        if (!/duplicate column name/i.test(String((e as Error)?.message ?? e))) throw e;
      }
    }
    const indexes = tableDdl(spec).slice(1);
    if (indexes.length) await db.batch(indexes);
    result.set(key, null);
  }
  return result;
}

/** A message logged at most once per `everyMs` (a bad spec would otherwise log every batch). */
export function throttled(everyMs = 600_000) {
  const last = new Map<string, number>();
  return (msg: string): boolean => {
    const now = Date.now();
    const t = last.get(msg);
    if (t !== undefined && now - t < everyMs) return false;
    if (last.size > 1000) last.clear();
    last.set(msg, now);
    return true;
  };
}
