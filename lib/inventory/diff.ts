/**
 * Pure inventory change detection (backend.md §5.1 step 5): column coercion for explode
 * rows, the explode diff keyed by the primary-key tuple, and the scalar-history diff.
 * No I/O: the projection reads the prior state once and writes what these return.
 */
import type { ColumnKind, ExplodeTableSpec } from "./spec.ts";

/** A stored cell: what SQLite keeps after its column affinity is applied. */
export type Cell = string | number | null;

const NUMERIC_RE = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * One JSON value as the cell SQLite will store in a column of `kind`: null/missing →
 * NULL; text columns stringify numbers and booleans ("true"/"false", clients.md lesson
 * 12); numeric columns take booleans as 1/0 and numeric text as its number (the
 * column's affinity would convert it anyway, and the diff must compare what is stored);
 * objects and arrays are kept as JSON text.
 */
export function coerceCell(kind: ColumnKind, v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "object") return JSON.stringify(v);
  if (kind === "text") return typeof v === "string" ? v : String(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  const s = String(v);
  if (NUMERIC_RE.test(s)) {
    const n = Number(s);
    if (Number.isFinite(n)) return n;
  }
  return s;
}

/** Canonical JSON (sorted object keys), so equal values compare equal as text. */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return "null";
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${
    Object.keys(o).sort().filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")
  }}`;
}

export type ChangeKind = "added" | "changed" | "removed";

export interface HistoryEvent {
  field_path: string;
  /** JSON of the key tuple `{<pk col>: value}`; null for scalar history. */
  identity_json: string | null;
  change_kind: ChangeKind;
  before_json: string | null;
  after_json: string | null;
}

/** One explode row: cells in `spec.columns` order. */
export type ExplodeRow = Cell[];

export interface ExplodePlan {
  /** Deduplicated rows now (the first element per key wins). */
  rows: ExplodeRow[];
  /** Against the prior rows: rows to insert (added, or the new version of a changed one). */
  upserts: ExplodeRow[];
  /** Against the prior rows: stored rows to delete (key gone, or the old version). */
  stale: ExplodeRow[];
  /** History, only when the spec tracks it and the prior rows were given. */
  events: HistoryEvent[];
  /** Array elements that were not objects (skipped). */
  skippedNonObjects: number;
  /** Elements dropped because an earlier element had the same key. */
  duplicates: number;
}

const keyIndexes = (spec: ExplodeTableSpec) =>
  spec.primaryKey.map((k) => spec.columns.findIndex((c) => c.name === k));

/** JSON of `{<pk col>: value}` in primary-key order (the history identity). */
export function identityOf(spec: ExplodeTableSpec, row: ExplodeRow, idx = keyIndexes(spec)) {
  const o: Record<string, Cell> = {};
  spec.primaryKey.forEach((k, i) => o[k] = row[idx[i]]);
  return JSON.stringify(o);
}

function rowObject(spec: ExplodeTableSpec, row: ExplodeRow): string {
  const o: Record<string, Cell> = {};
  spec.columns.forEach((c, i) => o[c.name] = row[i]);
  return JSON.stringify(o);
}

/** An array element → its row cells (null for a non-object element). */
export function rowOf(spec: ExplodeTableSpec, el: unknown): ExplodeRow | null {
  if (!el || typeof el !== "object" || Array.isArray(el)) return null;
  const o = el as Record<string, unknown>;
  return spec.columns.map((c) => coerceCell(c.kind, o[c.name]));
}

const sameRow = (a: ExplodeRow, b: ExplodeRow) => a.every((v, i) => v === b[i]);

/**
 * The explode diff. `incoming` is the facts field (anything: a missing or non-array
 * field means "no rows now"); `prior` holds the PC's stored rows, or null when they
 * were not read (then only `rows` is meaningful). With prior rows the plan also says
 * what to write (`upserts`, `removed`: a re-scan that changed three apps rewrites three
 * rows, not three hundred) and, when the spec tracks history, the events. A missing
 * field removes every prior row, with `removed` events (upstream #929: the table and
 * its history agree).
 */
export function planExplode(
  spec: ExplodeTableSpec,
  incoming: unknown,
  prior: ExplodeRow[] | null,
): ExplodePlan {
  const idx = keyIndexes(spec);
  const plan: ExplodePlan = {
    rows: [],
    upserts: [],
    stale: [],
    events: [],
    skippedNonObjects: 0,
    duplicates: 0,
  };
  const byKey = new Map<string, ExplodeRow>();
  for (const el of Array.isArray(incoming) ? incoming : []) {
    const row = rowOf(spec, el);
    if (!row) {
      plan.skippedNonObjects++;
      continue;
    }
    const key = identityOf(spec, row, idx);
    if (byKey.has(key)) {
      plan.duplicates++;
      continue;
    }
    byKey.set(key, row);
    plan.rows.push(row);
  }
  if (!prior) return plan;
  const history = spec.trackHistory;
  const before = new Map<string, ExplodeRow>();
  for (const p of prior) before.set(identityOf(spec, p, idx), p);
  for (const [key, row] of byKey) {
    const old = before.get(key);
    if (!old) {
      plan.upserts.push(row);
      if (history) plan.events.push(event(spec.field, key, "added", null, rowObject(spec, row)));
    } else if (!sameRow(old, row)) {
      plan.upserts.push(row);
      plan.stale.push(old);
      if (history) {
        plan.events.push(
          event(spec.field, key, "changed", rowObject(spec, old), rowObject(spec, row)),
        );
      }
    }
  }
  for (const [key, old] of before) {
    if (byKey.has(key)) continue;
    plan.stale.push(old);
    if (history) plan.events.push(event(spec.field, key, "removed", rowObject(spec, old), null));
  }
  return plan;
}

function event(
  field_path: string,
  identity_json: string | null,
  change_kind: ChangeKind,
  before_json: string | null,
  after_json: string | null,
): HistoryEvent {
  return { field_path, identity_json, change_kind, before_json, after_json };
}

const wrap = (v: unknown) => JSON.stringify({ value: v });

/**
 * Scalar history: for each listed top-level field present in `next`, `added` when the
 * previous snapshot is absent or lacks it, `changed` when its value differs (compared
 * as canonical JSON). A field missing from `next` records nothing.
 */
export function diffScalars(
  prev: Record<string, unknown> | null,
  next: Record<string, unknown>,
  fields: readonly string[],
): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const f of fields) {
    if (!Object.hasOwn(next, f)) continue;
    if (!prev || !Object.hasOwn(prev, f)) {
      out.push(event(f, null, "added", null, wrap(next[f])));
    } else if (canonicalJson(prev[f]) !== canonicalJson(next[f])) {
      out.push(event(f, null, "changed", wrap(prev[f]), wrap(next[f])));
    }
  }
  return out;
}
