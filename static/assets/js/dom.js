// @ts-check
/// <reference lib="dom" />
/**
 * Tiny DOM and formatting helpers. Text always goes in through `textContent` (never
 * innerHTML), so data from the fleet cannot inject markup.
 */

/**
 * Attributes of `h`; an `on*` entry is a listener (its event is whatever the DOM sends).
 * @typedef {{ [k: string]: any,
 *   [k: `on${string}`]: ((ev: any) => unknown) | null | undefined | false }} Attrs
 */

/**
 * `h("a", {href: "/x", class: "btn", onclick: fn}, "text", child)`.
 * Attributes: `class`, `for`, `aria-*`, `data-*`, booleans (true → present), `on*`
 * functions become listeners; `null`/`undefined`/`false` children are skipped.
 * The element's type follows the tag (`h("button")` is an HTMLButtonElement).
 * @template {string} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...any} children
 * @returns {K extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[K] : HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === "value" && "value" in el) {
      /** @type {any} */ (el).value = v;
    } else if (k === "checked" || k === "selected" || k === "disabled") {
      /** @type {any} */ (el)[k] = Boolean(v);
      if (k === "disabled") el.toggleAttribute("disabled", Boolean(v));
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return /** @type {any} */ (el);
}

/** @param {Node} el @param {any[]} children */
function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/**
 * Replace the children of `el`.
 * @template {Element} E
 * @param {E} el
 * @param {...any} children
 * @returns {E}
 */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ---- formatting -----------------------------------------------------------------------

/** @param {string|null|undefined} ts */
export function fmtTime(ts) {
  if (!ts) return "—";
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return String(ts);
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** "12 s ago", "in 3 min". @param {string|null|undefined} ts @param {number} [now] */
export function relTime(ts, now = Date.now()) {
  if (!ts) return "never";
  const t = new Date(ts).getTime();
  if (Number.isNaN(t)) return String(ts);
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  const unit = abs < 60
    ? [abs, "s"]
    : abs < 3600
    ? [Math.round(abs / 60), "min"]
    : abs < 86400
    ? [Math.round(abs / 3600), "h"]
    : [Math.round(abs / 86400), "d"];
  if (abs < 2) return "just now";
  return diff < 0 ? `${unit[0]} ${unit[1]} ago` : `in ${unit[0]} ${unit[1]}`;
}

/**
 * Duration between two instants, "1.2 s", "3 min 4 s".
 * @param {string|null|undefined} from
 * @param {string|null|undefined} to
 */
export function fmtDuration(from, to) {
  if (!from || !to) return "—";
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (Number.isNaN(ms)) return "—";
  if (ms < 1000) return `${Math.max(0, ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** @param {number|null|undefined} n */
export function fmtBytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Number(n), i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * State of one result row: running | success | failure.
 * @param {{ finished_at?: string | null, exit_code?: number | null }} r
 */
export function resultState(r) {
  if (r.finished_at === null || r.finished_at === undefined) {
    return r.exit_code === null || r.exit_code === undefined ? "running" : "failure";
  }
  return r.exit_code === 0 ? "success" : "failure";
}

/**
 * Online when the last heartbeat is within the alive window (server default 120 s).
 * @param {{ online?: unknown, status?: unknown, last_heartbeat?: string | null }} a
 */
export function agentOnline(a, now = Date.now(), windowSecs = 120) {
  if (typeof a.online === "boolean") return a.online;
  if (typeof a.status === "string") return a.status === "online";
  if (!a.last_heartbeat) return false;
  return now - new Date(a.last_heartbeat).getTime() <= windowSecs * 1000;
}

/**
 * Comma/space/newline separated list → trimmed, de-duplicated, non-empty.
 * @param {string | null | undefined} s
 */
export function splitList(s) {
  return [...new Set(String(s ?? "").split(/[\s,]+/).map((x) => x.trim()).filter(Boolean))];
}

/**
 * humantime-style duration ("90s", "5m", "1h 30m", "2min") → milliseconds, or null.
 * @param {string} s
 */
export function parseDurationMs(s) {
  const text = String(s ?? "").trim();
  if (!text) return null;
  /** @type {Record<string, number>} */
  const unit = {
    ms: 1,
    s: 1000,
    sec: 1000,
    secs: 1000,
    m: 60_000,
    min: 60_000,
    mins: 60_000,
    h: 3_600_000,
    hr: 3_600_000,
    hrs: 3_600_000,
    d: 86_400_000,
    days: 86_400_000,
  };
  let total = 0;
  let matched = "";
  for (const m of text.matchAll(/(\d+)\s*([a-z]+)\s*/gi)) {
    const f = unit[m[2].toLowerCase()];
    if (f === undefined) return null;
    total += Number(m[1]) * f;
    matched += m[0];
  }
  return matched.replace(/\s/g, "") === text.replace(/\s/g, "") && matched ? total : null;
}

/**
 * A datetime-local input showing the RFC 3339 instant `iso` (empty when unset).
 * @param {Record<string, unknown>} attrs
 * @param {string | null | undefined} iso
 */
export function localTimeInput(attrs, iso) {
  return h("input", { ...attrs, type: "datetime-local", value: iso ? toLocalInput(iso) : "" });
}

/**
 * A `<select>` of `[value, label]` options (a plain string is both), `selected` chosen.
 * @param {Attrs} attrs
 * @param {(string | string[])[]} options
 * @param {string} [selected]
 */
export function selectBox(attrs, options, selected) {
  return h(
    "select",
    attrs,
    options.map((o) => {
      const [v, l] = typeof o === "string" ? [o, o] : o;
      return h("option", { value: v, selected: v === selected }, l);
    }),
  );
}

/**
 * The search box of a list (`type=search`, no browser autocomplete over the list it filters).
 * @param {string} id
 * @param {string} name
 * @param {string} placeholder
 * @param {string} [value]
 */
export function searchInput(id, name, placeholder, value) {
  return h("input", { type: "search", id, name, value, autocomplete: "off", placeholder });
}

/**
 * RFC 3339 → value of a datetime-local input (local time, minutes); "" when invalid.
 * @param {string} iso
 */
export function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${
    p(d.getMinutes())
  }`;
}
