// @ts-check
/// <reference lib="dom" />
/**
 * The Config page's pure logic (unit-tested under Deno): the ConfigScope fields, the PUT
 * body from the form, which layer decides each value (defaults → global → groups in byte
 * order → PC) and what a scope inherits per field.
 */

/** The ConfigScope fields, in the order the agent documents them. */
export const FIELDS = [
  {
    key: "target_version",
    label: "Target agent version",
    type: "text",
    hint: "A published release; agents update themselves to it.",
  },
  {
    key: "target_version_jitter",
    label: "Update jitter",
    type: "duration",
    hint: "Random delay before updating, e.g. 10m.",
  },
  {
    key: "heartbeat_interval",
    label: "Heartbeat interval",
    type: "duration",
    hint: "e.g. 30s.",
  },
  {
    key: "host_perf_interval",
    label: "Host perf interval",
    type: "duration",
    hint: "How often host samples are sent, e.g. 60s.",
  },
  {
    key: "process_perf_enabled",
    label: "Process sampling",
    type: "bool",
    hint: "Per-process samples (an investigation aid).",
  },
  {
    key: "process_perf_expires_at",
    label: "Process sampling until",
    type: "instant",
    hint: "Switches itself off at this time.",
  },
  {
    key: "process_perf_top_n",
    label: "Processes per sample",
    type: "int",
    hint: "1-1000 (top by CPU).",
  },
];

/**
 * The PUT body from the form's raw strings: empty means "inherit" (left out). Returns the
 * body, or the first problem as `{error, field}`.
 * @param {Record<string, string>} raw
 * @returns {{body: Record<string, unknown>} | {error: string, field: string}}
 */
export function scopeBody(raw) {
  /** @type {Record<string, unknown>} */
  const body = {};
  for (const f of FIELDS) {
    const v = String(raw[f.key] ?? "").trim();
    if (v === "") continue;
    // Durations are checked by the backend (its 400 names the field): one grammar, one place.
    if (f.type === "bool") {
      body[f.key] = v === "true";
    } else if (f.type === "int") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) {
        return { error: `${f.label}: a whole number from 1 to 1000.`, field: f.key };
      }
      body[f.key] = n;
    } else if (f.type === "instant") {
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) return { error: `${f.label}: not a date.`, field: f.key };
      body[f.key] = d.toISOString();
    } else body[f.key] = v;
  }
  return { body };
}

/**
 * Which layer decides each effective field: the last of defaults, global, each group in
 * byte order, then the PC, that sets it.
 * @param {Record<string, unknown>|null} global
 * @param {{name: string, scope: Record<string, unknown>|null}[]} groups
 * @param {Record<string, unknown>|null} pc
 * @returns {Record<string, string>}
 */
export function layerSources(global, groups, pc) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const f of FIELDS) out[f.key] = "default";
  /** @param {Record<string, unknown>|null} scope @param {string} label */
  const apply = (scope, label) => {
    for (const f of FIELDS) {
      const v = scope?.[f.key];
      if (v !== undefined && v !== null) out[f.key] = label;
    }
  };
  apply(global, "global");
  const sorted = [...groups].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const g of sorted) apply(g.scope, `group ${g.name}`);
  apply(pc, "pc");
  return out;
}

/**
 * @param {URLSearchParams} q
 * @returns {{type: "group" | "pc", value: string} | {type: "global", value?: undefined}}
 */
export function scopeFromQuery(q) {
  const t = q.get("scope");
  const value = (q.get("value") ?? "").trim();
  if ((t === "group" || t === "pc") && value) return { type: t, value };
  return { type: "global" };
}

/**
 * A layer as `layerSources` names it, in words ("built-in default", "global", "group x").
 * @param {string} src
 */
export function layerLabel(src) {
  return src === "default" ? "built-in default" : src;
}

/**
 * Per field, what a scope inherits: the value the layers below it resolve to (from the
 * API's `/config/inherited`, or the defaults for the global scope) and which layer decides
 * it. `layers` are the scopes below (global, then the PC's groups; none for global).
 * @param {Record<string, unknown>|null} inherited
 * @param {{global: Record<string, unknown>|null,
 *   groups: {name: string, scope: Record<string, unknown>|null}[]}} layers
 * @returns {Record<string, {value: string, from: string}>}
 */
export function inheritedFields(inherited, layers) {
  const from = layerSources(layers.global, layers.groups, null);
  /** @type {Record<string, {value: string, from: string}>} */
  const out = {};
  for (const f of FIELDS) {
    out[f.key] = { value: fmtValue(inherited?.[f.key]), from: layerLabel(from[f.key]) };
  }
  return out;
}

/**
 * A config value as the page shows it ("—" when unset).
 * @param {unknown} v
 */
export function fmtValue(v) {
  if (v === null || v === undefined) return "—";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}
