// @ts-check
/// <reference lib="dom" />
/**
 * Inventory helpers shared by the inventory pages: explode specs of a probe, search filter
 * <-> query conversion, history row decoding and change summaries (all pure), plus the
 * fact renderers that follow a job's `display` hints.
 */
import { fmtBytes, fmtTime, h } from "./dom.js";
import { table } from "./ui.js";

/** Search operators of `/search/{field}` (`eq` is the bare column name). */
export const OPS = [
  ["eq", "="],
  ["ne", "≠"],
  ["contains", "contains"],
  ["prefix", "starts with"],
  ["suffix", "ends with"],
  ["lt", "<"],
  ["le", "≤"],
  ["gt", ">"],
  ["ge", "≥"],
];
const OP_NAMES = new Set(OPS.map(([o]) => o));

/** Page/URL keys that are never column filters. */
export const RESERVED = new Set([
  "job",
  "field",
  "mode",
  "limit",
  "offset",
  "kind",
  "since",
  "until",
]);

/**
 * The explode specs of an inventory job row (`/api/inventory/jobs`), tolerant of junk.
 * @returns {{field: string, table: string, primary_key: string[],
 *   columns: {field: string, type: string}[], track_history: boolean}[]}
 * @param {any} job
 */
export function explodeSpecs(job) {
  /** @type {any[]} */
  const raw = Array.isArray(job?.explode) ? job.explode : [];
  return raw.filter((s) => s && typeof s.field === "string").map((s) => ({
    field: s.field,
    table: String(s.table ?? ""),
    primary_key: Array.isArray(s.primary_key) ? s.primary_key.map(String) : [],
    columns: /** @type {any[]} */ (Array.isArray(s.columns) ? s.columns : [])
      .filter((c) => c && typeof c.field === "string")
      .map((c) => ({ field: c.field, type: typeof c.type === "string" ? c.type : "text" })),
    track_history: Boolean(s.track_history),
  }));
}

/**
 * API query of a filter list: `{col: v}` for eq, `{col__op: v}` otherwise; the same key twice
 * becomes an array (both apply). Empty values are left out.
 * @param {{col: string, op: string, value: string}[]} filters
 */
export function searchQuery(filters) {
  /** @type {Record<string, string | string[]>} */
  const q = {};
  for (const f of filters) {
    const v = String(f.value ?? "").trim();
    if (!f.col || v === "") continue;
    const key = f.op && f.op !== "eq" ? `${f.col}__${f.op}` : f.col;
    const prev = q[key];
    q[key] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return q;
}

/**
 * Filters from a URL query: every non-reserved key `col` or `col__op` (known op) with a value.
 * @param {URLSearchParams} qs
 */
export function filtersFromQuery(qs) {
  const out = [];
  for (const [k, v] of qs.entries()) {
    if (RESERVED.has(k) || k.startsWith("identity.") || v === "") continue;
    const m = /^(.+?)__([a-z]+)$/.exec(k);
    if (m && OP_NAMES.has(m[2])) out.push({ col: m[1], op: m[2], value: v });
    else out.push({ col: k, op: "eq", value: v });
  }
  return out;
}

/** @param {any} s */
function parseMaybe(s) {
  if (s === null || s === undefined) return null;
  if (typeof s !== "string") return s;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/**
 * A history row with its JSON string columns parsed (unparseable text kept as is).
 * @param {any} row
 */
export function decodeHistory(row) {
  return {
    ...row,
    identity: parseMaybe(row.identity_json),
    before: parseMaybe(row.before_json),
    after: parseMaybe(row.after_json),
  };
}

/** @param {unknown} v */
const show = (v) =>
  v === null || v === undefined ? "∅" : typeof v === "object" ? JSON.stringify(v) : String(v);

/**
 * One line saying what changed: identity, then `added`/`removed` values or the fields whose
 * value moved ("version 119 → 120").
 * @param {any} row
 */
export function changeText(row) {
  const r = row.identity !== undefined ? row : decodeHistory(row);
  const id = r.identity && typeof r.identity === "object"
    ? Object.values(r.identity).map(show).join(" / ")
    : "";
  /** @param {unknown} x @returns {Record<string, unknown>} */
  const objOf = (x) =>
    x === null || x === undefined
      ? {}
      : typeof x === "object" && !Array.isArray(x)
      ? /** @type {Record<string, unknown>} */ (x)
      : { value: x };
  if (r.change_kind === "changed") {
    const b = objOf(r.before), a = objOf(r.after);
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    const moved = keys.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
      .map((k) => `${k === "value" && !id ? "" : `${k} `}${show(b[k])} → ${show(a[k])}`);
    return [id, moved.join(", ")].filter(Boolean).join(": ");
  }
  const side = objOf(r.change_kind === "removed" ? r.before : r.after);
  const rest = Object.entries(side)
    .filter(([k]) => !(r.identity && typeof r.identity === "object" && k in r.identity))
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(", ");
  return [id, rest].filter(Boolean).join(": ");
}

/**
 * A fact formatted per its display type (bytes, timestamp, else text).
 * @param {unknown} v
 * @param {string} [type]
 */
export function fmtFact(v, type) {
  if (v === null || v === undefined) return "—";
  if (type === "bytes") return fmtBytes(Number(v));
  if (type === "timestamp") return fmtTime(String(v));
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * Scalar display fields of a job's hints (tables are rendered separately).
 * @param {any} display
 */
export function scalarFields(display) {
  return (Array.isArray(display) ? display : []).filter((d) => d && d.type !== "table" && d.field);
}

/**
 * Facts of one PC following the display hints: scalars as a definition list, `table`
 * fields as tables; without hints every scalar fact.
 * @param {any} facts
 * @param {any} display
 * @param {string} caption
 */
export function factsBlock(facts, display, caption) {
  const f = facts && typeof facts === "object" ? facts : {};
  const d = Array.isArray(display) ? display : [];
  const scalars = d.length
    ? scalarFields(d).map((x) => [x.label ?? x.field, fmtFact(f[x.field], x.type)])
    : Object.entries(f).filter(([, v]) => typeof v !== "object" || v === null).map((
      [k, v],
    ) => [k, fmtFact(v)]);
  const tables = d.filter((x) => x?.type === "table" && Array.isArray(f[x.field]));
  return h(
    "div",
    null,
    scalars.length
      ? h("dl", { class: "facts" }, scalars.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]))
      : null,
    tables.map((t) => {
      const cols = Array.isArray(t.columns) && t.columns.length
        ? t.columns
        : Object.keys(f[t.field][0] ?? {}).map((k) => ({ field: k, label: k }));
      return h(
        "div",
        null,
        h("h3", null, t.label ?? t.field, h("span", { class: "muted" }, ` · ${f[t.field].length}`)),
        table({
          caption: `${caption}: ${t.label ?? t.field}`,
          rows: f[t.field],
          columns: cols.map((/** @type {any} */ c) => ({
            label: c.label ?? c.field,
            cell: (/** @type {any} */ row) => fmtFact(row?.[c.field], c.type),
          })),
        }),
      );
    }),
  );
}
