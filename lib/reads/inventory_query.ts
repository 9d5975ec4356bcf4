/**
 * Pure query-string → SQL for the explode search and the history routes (backend.md
 * §3.7). Only validated identifiers reach the SQL text, every value is a bound
 * parameter; anything else is a 400 with the offending key.
 */
import { badRequest } from "../errors.ts";
import { likeEscape } from "./params.ts";
import { type ExplodeTableSpec, IDENT_RE, isIdent, quoteIdent } from "../inventory/spec.ts";

export const SEARCH_OPS = [
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "contains",
  "prefix",
  "suffix",
] as const;
export type SearchOp = typeof SEARCH_OPS[number];

const CMP: Record<SearchOp, string> = {
  eq: "=",
  ne: "<>",
  lt: "<",
  le: "<=",
  gt: ">",
  ge: ">=",
  contains: "LIKE",
  prefix: "LIKE",
  suffix: "LIKE",
};

/** Query keys of the search route that are not column filters. */
export const SEARCH_RESERVED = new Set(["limit", "offset"]);

export interface SqlWhere {
  /** Conditions to AND together (empty = no filter). */
  sql: string[];
  args: string[];
}

export interface SearchFilter {
  column: string;
  op: SearchOp;
  value: string;
}

/**
 * `<col>` (eq) or `<col>__<op>`. A key that is itself a filterable column is always an
 * equality filter, so a column whose name contains `__` stays addressable.
 */
export function parseFilterKey(key: string, columns: ReadonlySet<string>): [string, SearchOp] {
  if (columns.has(key)) return [key, "eq"];
  const i = key.lastIndexOf("__");
  const [col, op] = i > 0 ? [key.slice(0, i), key.slice(i + 2)] : [key, "eq"];
  if (!isIdent(col)) {
    throw badRequest(
      `invalid identifier '${col}' in filter '${key}' (must match ${IDENT_RE.source})`,
    );
  }
  if (!columns.has(col)) throw badRequest(`unknown column '${col}' in filter '${key}'`);
  if (!(SEARCH_OPS as readonly string[]).includes(op)) {
    throw badRequest(`unknown operator '${op}' in filter '${key}' (${SEARCH_OPS.join(", ")})`);
  }
  return [col, op as SearchOp];
}

/** Columns a search may filter on: the spec's own plus `pc_id`. */
export function filterableColumns(spec: ExplodeTableSpec): Set<string> {
  return new Set(["pc_id", ...spec.columns.map((c) => c.name)]);
}

/** Every non-reserved query entry as a filter (repeated keys AND together). */
export function parseSearchFilters(
  spec: ExplodeTableSpec,
  entries: Iterable<[string, string]>,
): SearchFilter[] {
  const cols = filterableColumns(spec);
  const out: SearchFilter[] = [];
  for (const [key, value] of entries) {
    if (SEARCH_RESERVED.has(key)) continue;
    const [column, op] = parseFilterKey(key, cols);
    out.push({ column, op, value });
  }
  return out;
}

/** Filters → SQL conditions. LIKE operators escape `%`, `_` and `\` in the value. */
export function filtersSql(filters: SearchFilter[]): SqlWhere {
  const w: SqlWhere = { sql: [], args: [] };
  for (const f of filters) {
    const col = quoteIdent(f.column);
    if (CMP[f.op] === "LIKE") {
      w.sql.push(`${col} LIKE ? ESCAPE '\\'`);
      const v = likeEscape(f.value);
      w.args.push(f.op === "contains" ? `%${v}%` : f.op === "prefix" ? `${v}%` : `%${v}`);
    } else {
      w.sql.push(`${col} ${CMP[f.op]} ?`);
      w.args.push(f.value);
    }
  }
  return w;
}

export const IDENTITY_PREFIX = "identity.";

/**
 * `identity.<k>=<v>` entries → conditions on the JSON key tuple. Keys are validated
 * identifiers; values compare as text (a numeric key value `42` matches `?identity.k=42`).
 */
export function identitySql(entries: Iterable<[string, string]>): SqlWhere {
  const w: SqlWhere = { sql: [], args: [] };
  for (const [key, value] of entries) {
    if (!key.startsWith(IDENTITY_PREFIX)) continue;
    const k = key.slice(IDENTITY_PREFIX.length);
    if (!isIdent(k)) {
      throw badRequest(`invalid identity key '${k}' in '${key}' (must match ${IDENT_RE.source})`);
    }
    w.sql.push("CAST(json_extract(identity_json, ?) AS TEXT) = ?");
    w.args.push(`$.${k}`, value);
  }
  return w;
}

export const CHANGE_KINDS = ["added", "removed", "changed"] as const;
