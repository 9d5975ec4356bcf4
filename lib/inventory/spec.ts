/**
 * Explode specs (protocol.md §6.1.2) as the projection and the search route use them:
 * read tolerantly from a stored manifest, then checked once so that every name that ever
 * reaches SQL is a validated identifier (backend.md §4 "Dynamic explode tables"). A spec
 * that fails a check is reported and left out; the rest of the manifest still works.
 */

/** SQLite identifiers we accept for explode tables and columns (always double-quoted). */
export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export const isIdent = (s: unknown): s is string => typeof s === "string" && IDENT_RE.test(s);

/** Double-quoted identifier; refuses anything that is not a validated identifier. */
export function quoteIdent(name: string): string {
  if (!isIdent(name)) {
    throw new Error(`Cannot quote identifier: '${name}' must match ${IDENT_RE.source}`);
  }
  return `"${name}"`;
}

export type ColumnKind = "text" | "integer" | "real";

export interface ExplodeColumnDef {
  name: string;
  kind: ColumnKind;
  index: boolean;
}

export interface ExplodeTableSpec {
  /** Top-level facts field holding the array. */
  field: string;
  table: string;
  primaryKey: string[];
  columns: ExplodeColumnDef[];
  trackHistory: boolean;
}

/** Columns every explode table has before the spec's own. */
export const FIXED_COLUMNS = ["pc_id", "job_id", "collected_at"] as const;

const KINDS: Record<string, ColumnKind> = { text: "text", integer: "integer", real: "real" };
const SQL_TYPE: Record<ColumnKind, string> = { text: "TEXT", integer: "INTEGER", real: "REAL" };

export type SpecResult = { ok: true; spec: ExplodeTableSpec } | { ok: false; error: string };

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : null;

/** Pure: one `inventory.explode[]` entry → a checked spec, or why it cannot be used. */
export function resolveExplodeSpec(raw: unknown): SpecResult {
  const s = obj(raw);
  if (!s) return { ok: false, error: "explode entry is not an object" };
  const bad = (msg: string): SpecResult => ({
    ok: false,
    error: `explode ${JSON.stringify(s.table ?? s.field ?? "?")}: ${msg}`,
  });
  if (typeof s.field !== "string" || s.field === "") return bad("`field` must be a string");
  if (!isIdent(s.table)) return bad(`invalid table identifier (must match ${IDENT_RE.source})`);
  if (s.table.toLowerCase().startsWith("sqlite_")) return bad("table names sqlite_* are reserved");
  if (!Array.isArray(s.columns) || s.columns.length === 0) return bad("`columns` must be a list");
  const columns: ExplodeColumnDef[] = [];
  const seen = new Set<string>(FIXED_COLUMNS);
  for (const rc of s.columns) {
    const c = obj(rc);
    if (!c || !isIdent(c.field)) {
      return bad(`invalid column identifier ${JSON.stringify(c?.field)}`);
    }
    // SQLite column names are case-insensitive.
    if (seen.has(c.field.toLowerCase())) return bad(`duplicate or reserved column '${c.field}'`);
    seen.add(c.field.toLowerCase());
    const kind = c.type === undefined || c.type === null ? "text" : KINDS[String(c.type)];
    if (!kind) return bad(`column '${c.field}': unknown type '${c.type}' (text|integer|real)`);
    columns.push({ name: c.field, kind, index: c.index === true });
  }
  if (!Array.isArray(s.primary_key) || s.primary_key.length === 0) {
    return bad("`primary_key` must name at least one column");
  }
  const primaryKey: string[] = [];
  for (const k of s.primary_key) {
    const col = columns.find((c) => c.name === k);
    if (!col) return bad(`primary_key '${k}' is not a declared column`);
    if (primaryKey.includes(col.name)) return bad(`primary_key '${k}' listed twice`);
    primaryKey.push(col.name);
  }
  return {
    ok: true,
    spec: {
      field: s.field,
      table: s.table,
      primaryKey,
      columns,
      trackHistory: s.track_history === true,
    },
  };
}

export interface InventorySpecs {
  explode: ExplodeTableSpec[];
  historyScalars: string[];
  /** Why some explode entries were left out (logged by the caller). */
  errors: string[];
}

/** Pure: the explode specs and scalar-history fields of one `inventory` hint. */
export function inventorySpecs(inventory: unknown): InventorySpecs {
  const inv = obj(inventory);
  const out: InventorySpecs = { explode: [], historyScalars: [], errors: [] };
  if (!inv) return out;
  if (Array.isArray(inv.explode)) {
    const tables = new Set<string>();
    for (const raw of inv.explode) {
      const r = resolveExplodeSpec(raw);
      if (!r.ok) out.errors.push(r.error);
      else if (tables.has(r.spec.table.toLowerCase())) {
        out.errors.push(`explode "${r.spec.table}": table declared twice in one manifest`);
      } else {
        tables.add(r.spec.table.toLowerCase());
        out.explode.push(r.spec);
      }
    }
  }
  if (Array.isArray(inv.history_scalars)) {
    out.historyScalars = [
      ...new Set(inv.history_scalars.filter((f): f is string => typeof f === "string" && !!f)),
    ];
  }
  return out;
}

/** DDL of one explode table and its indexes (all idempotent). */
export function tableDdl(spec: ExplodeTableSpec): string[] {
  const t = quoteIdent(spec.table);
  const cols = spec.columns.map((c) => `${quoteIdent(c.name)} ${SQL_TYPE[c.kind]}`);
  const pk = ["pc_id", "job_id", ...spec.primaryKey].map(quoteIdent).join(", ");
  const out = [
    `CREATE TABLE IF NOT EXISTS ${t} ("pc_id" TEXT NOT NULL, "job_id" TEXT NOT NULL, ` +
    `"collected_at" TEXT, ${cols.join(", ")}, PRIMARY KEY (${pk}))`,
  ];
  for (const c of spec.columns) {
    if (!c.index) continue;
    const ix = `idx_${spec.table}_${c.name}`;
    // An index name longer than an identifier is still quoted text, never user SQL.
    out.push(`CREATE INDEX IF NOT EXISTS "${ix}" ON ${t} (${quoteIdent(c.name)})`);
  }
  return out;
}

/**
 * SELECT expression of one column. An integer beyond JavaScript's safe range comes back
 * as REAL: libSQL's number mode refuses to read it, which would break every later read
 * (the history diff, the search) of that PC's rows.
 */
export function readExpr(c: ExplodeColumnDef): string {
  const q = quoteIdent(c.name);
  if (c.kind !== "integer") return q;
  return `CASE WHEN typeof(${q}) = 'integer' AND ${q} NOT BETWEEN -9007199254740991 AND 9007199254740991 THEN CAST(${q} AS REAL) ELSE ${q} END`;
}

/** `ALTER TABLE … ADD COLUMN` for a declared non-key column the stored table lacks. */
export function addColumnDdl(spec: ExplodeTableSpec, col: ExplodeColumnDef): string {
  return `ALTER TABLE ${quoteIdent(spec.table)} ADD COLUMN ${quoteIdent(col.name)} ${
    SQL_TYPE[col.kind]
  }`;
}

export interface StoredColumn {
  name: string;
  /** Declared type as stored (upper-case). */
  type: string;
  /** 1-based position in the primary key, 0 when not part of it. */
  pk: number;
}

export type TableCheck =
  | { ok: true; addColumns: ExplodeColumnDef[] }
  | { ok: false; error: string };

/**
 * Pure: can rows of `spec` be written to the stored table? Tables are never rebuilt
 * (clients.md lesson 12): a different primary key or column type needs a manual DROP;
 * a newly declared non-key column is added in place.
 */
export function checkStoredTable(spec: ExplodeTableSpec, stored: StoredColumn[]): TableCheck {
  const byName = new Map(stored.map((c) => [c.name.toLowerCase(), c]));
  for (const f of FIXED_COLUMNS) {
    if (!byName.has(f)) {
      return { ok: false, error: `table "${spec.table}" has no ${f} column: not an explode table` };
    }
  }
  const storedPk = stored.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk)
    .map((c) => c.name.toLowerCase());
  const wantPk = ["pc_id", "job_id", ...spec.primaryKey].map((c) => c.toLowerCase());
  if (storedPk.join(",") !== wantPk.join(",")) {
    return {
      ok: false,
      error: `table "${spec.table}" has primary key (${storedPk.join(", ")}), the spec wants (${
        wantPk.join(", ")
      }); explode tables are never rebuilt: DROP it to apply the new key`,
    };
  }
  const addColumns: ExplodeColumnDef[] = [];
  for (const c of spec.columns) {
    const s = byName.get(c.name.toLowerCase());
    if (!s) addColumns.push(c);
    else if (s.type.toUpperCase() !== SQL_TYPE[c.kind]) {
      return {
        ok: false,
        error: `table "${spec.table}" column "${c.name}" is ${s.type}, the spec wants ${
          SQL_TYPE[c.kind]
        }; DROP the table to apply the new type`,
      };
    }
  }
  return { ok: true, addColumns };
}
