// @ts-check
/// <reference lib="dom" />
/**
 * Observability timeline (`/api/obs_events`): one PC's events (or the fleet's newest when
 * no filter is set), filtered by PC, time window, include/exclude chips for kinds and
 * sources, and one payload field; grouped by day. The filters live in the URL.
 */
import * as api from "../api.js";
import { fmtTime, h, localTimeInput, mount, relTime } from "../dom.js";
import { href } from "../routes.js";
import { badge, card, errorBox, liveSection, pageHeader, table } from "../ui.js";
import { pcField, pcLinks } from "../views.js";

export const title = "Events";

const LIMITS = ["50", "200", "500", "1000"];

/** The include/exclude lists of the page, as the API and the URL name them. */
export const LISTS = /** @type {const} */ (["kinds", "kinds_ex", "sources", "sources_ex"]);

/** A payload key the API accepts (`payload.<key>` is looked up as a JSON path). */
export const PAYLOAD_KEY = /^[A-Za-z0-9_]+$/;

/** @param {string|null} v */
const csv = (v) => [...new Set((v ?? "").split(",").map((s) => s.trim()).filter(Boolean))];

/**
 * @typedef {{pc: string, kinds: string[], kinds_ex: string[], sources: string[],
 *   sources_ex: string[], payload_key: string, payload_value: string, from: string,
 *   to: string, limit: string}} EventsState
 */

/**
 * Page state from the URL: `pc`, the CSV lists `kinds`, `kinds_ex`, `sources`,
 * `sources_ex` (the older single `source` joins `sources`), `payload_key` +
 * `payload_value`, `from`, `to`, `limit`. A value both included and excluded stays
 * excluded (the API would AND them into nothing anyway).
 * @param {URLSearchParams} q
 * @returns {EventsState}
 */
export function eventsState(q) {
  const limit = LIMITS.includes(q.get("limit") ?? "") ? String(q.get("limit")) : "200";
  const kinds_ex = csv(q.get("kinds_ex"));
  const sources_ex = csv(q.get("sources_ex"));
  return {
    pc: (q.get("pc") ?? "").trim(),
    kinds: csv(q.get("kinds")).filter((k) => !kinds_ex.includes(k)),
    kinds_ex,
    sources: csv([q.get("sources"), q.get("source")].filter(Boolean).join(","))
      .filter((k) => !sources_ex.includes(k)),
    sources_ex,
    payload_key: (q.get("payload_key") ?? "").trim(),
    payload_value: q.get("payload_value") ?? "",
    from: q.get("from") ?? "",
    to: q.get("to") ?? "",
    limit,
  };
}

/**
 * The payload filter's problem, or null: the key is a plain name and needs a value (the
 * API applies the pair only when both halves are there).
 * @param {string} key @param {string} value
 */
export function payloadProblem(key, value) {
  if (!key && !value) return null;
  if (!key) return "Payload filter: give the key the value is compared with.";
  if (!PAYLOAD_KEY.test(key)) {
    return "Payload key: letters, digits and _ only (a top-level payload field).";
  }
  if (value === "") return "Payload filter: give the value to compare (as text or a number).";
  return null;
}

/**
 * The API query for a state; `null` means "no filter": ask for the fleet's newest instead.
 * @param {EventsState} st
 */
export function eventsQuery(st) {
  const payload = st.payload_key !== "" && st.payload_value !== "" &&
    payloadProblem(st.payload_key, st.payload_value) === null;
  const filtered = st.pc || LISTS.some((k) => st[k].length) || payload || st.from || st.to;
  if (!filtered) return null;
  return {
    pc_id: st.pc,
    kinds: st.kinds.join(","),
    kinds_ex: st.kinds_ex.join(","),
    sources: st.sources.join(","),
    sources_ex: st.sources_ex.join(","),
    payload_key: payload ? st.payload_key : "",
    payload_value: payload ? st.payload_value : "",
    from: st.from,
    to: st.to,
    limit: Number(st.limit),
  };
}

/**
 * The page's own URL for a state (defaults left out).
 * @param {EventsState} st
 */
export function eventsUrl(st) {
  const qs = new URLSearchParams();
  if (st.pc) qs.set("pc", st.pc);
  for (const k of LISTS) if (st[k].length) qs.set(k, st[k].join(","));
  if (st.payload_key) qs.set("payload_key", st.payload_key);
  if (st.payload_value !== "") qs.set("payload_value", st.payload_value);
  if (st.from) qs.set("from", st.from);
  if (st.to) qs.set("to", st.to);
  if (st.limit !== "200") qs.set("limit", st.limit);
  const s = qs.toString();
  return s ? `/events?${s}` : "/events";
}

/**
 * Adds `value` to the include (or exclude) list of a dimension, taking it out of the
 * other one; returns the new lists.
 * @param {{include: string[], exclude: string[]}} lists
 * @param {string} value
 * @param {boolean} exclude
 */
export function addChip(lists, value, exclude) {
  const v = value.trim();
  if (!v) return lists;
  const into = exclude ? lists.exclude : lists.include;
  const other = exclude ? lists.include : lists.exclude;
  const added = into.includes(v) ? into : [...into, v];
  const rest = other.filter((x) => x !== v);
  return exclude ? { include: rest, exclude: added } : { include: added, exclude: rest };
}

/**
 * A one-line summary of an event payload: its first scalar fields.
 * @param {unknown} p @param {number} [max]
 */
export function payloadSummary(p, max = 3) {
  if (p === null || p === undefined) return "";
  if (typeof p !== "object") return String(p);
  const parts = [];
  for (const [k, v] of Object.entries(p)) {
    if (v === null || typeof v === "object") continue;
    parts.push(`${k}=${String(v).length > 60 ? String(v).slice(0, 60) + "…" : v}`);
    if (parts.length >= max) break;
  }
  return parts.join(" · ");
}

/**
 * Local calendar day of an instant ("2026-11-22"), for the day headings.
 * @param {string|null} ts
 */
export function dayOf(ts) {
  const d = new Date(ts ?? NaN);
  if (Number.isNaN(d.getTime())) return "unknown day";
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** @param {string} kind */
const KIND_BADGE = (kind) =>
  /fail|error|crash|bsod|critical/i.test(kind)
    ? "fail"
    : /warn|shutdown|stop/i.test(kind)
    ? "warn"
    : /logon|login|start|boot|online/i.test(kind)
    ? "ok"
    : "info";

/**
 * @typedef {{id: number, pc_id: string, at: string|null, kind: string, source: string,
 *   payload: unknown}} ObsEvent
 */

/** @param {ObsEvent[]} events @param {EventsState} st */
function timelineView(events, st) {
  if (!events.length) {
    return h(
      "p",
      { class: "empty" },
      eventsQuery(st) ? "No events match these filters." : "No events recorded yet.",
    );
  }
  /** @type {Map<string, any[]>} */
  const days = new Map();
  for (const e of events) {
    const d = dayOf(e.at);
    if (!days.has(d)) days.set(d, []);
    days.get(d)?.push(e);
  }
  const counts = new Map();
  for (const e of events) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  return h(
    "div",
    null,
    h(
      "ul",
      { class: "kv-list", "aria-label": "Events per kind", id: "events-kinds-summary" },
      [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) =>
        h("li", null, badge(`${k} · ${n}`, KIND_BADGE(k)))
      ),
    ),
    [...days.entries()].map(([day, rows]) =>
      h(
        "section",
        { class: "timeline", "aria-label": `Events on ${day}` },
        h("h3", null, day, h("span", { class: "muted" }, ` · ${rows.length}`)),
        table({
          caption: `Events on ${day}`,
          rows,
          columns: [
            {
              label: "When",
              cell: (e) => h("time", { datetime: e.at ?? "", title: relTime(e.at) }, fmtTime(e.at)),
            },
            {
              label: "PC",
              cell: (e) => h("a", { href: href("/agents/:pc", { pc: e.pc_id }) }, e.pc_id),
            },
            { label: "Kind", cell: (e) => badge(e.kind, KIND_BADGE(e.kind)) },
            { label: "Source", cell: (e) => h("code", null, e.source) },
            {
              label: "Details",
              cell: (e) =>
                e.payload === null || e.payload === undefined
                  ? h("span", { class: "muted" }, "—")
                  : h(
                    "details",
                    null,
                    h("summary", null, payloadSummary(e.payload) || "payload"),
                    h("pre", { class: "output" }, JSON.stringify(e.payload, null, 2)),
                  ),
            },
          ],
        }),
      )
    ),
  );
}

/**
 * Include/exclude chips of one dimension (kinds or sources): a text field suggesting the
 * known values, Include and Exclude buttons, and one chip per value with a remove button.
 * `onChange` runs after each edit (the page applies its filters at once).
 * @param {{id: string, label: string, noun: string, include: string[], exclude: string[],
 *   placeholder: string, onChange: () => void}} o
 */
function chipFilter(o) {
  let lists = { include: o.include, exclude: o.exclude };
  const input = /** @type {HTMLInputElement} */ (h("input", {
    type: "text",
    id: o.id,
    name: o.id,
    list: `${o.id}-options`,
    autocomplete: "off",
    placeholder: o.placeholder,
    "aria-describedby": `${o.id}-hint`,
  }));
  const options = h("datalist", { id: `${o.id}-options` });
  const chips = h("ul", {
    class: "chips",
    id: `${o.id}-chips`,
    "aria-label": `${o.label} filters`,
  });
  /** @param {boolean} exclude */
  const add = (exclude) => {
    if (!input.value.trim()) {
      input.focus();
      return;
    }
    lists = addChip(lists, input.value, exclude);
    input.value = "";
    draw();
    o.onChange();
  };
  /** @param {string} v */
  const remove = (v) => {
    lists = {
      include: lists.include.filter((x) => x !== v),
      exclude: lists.exclude.filter((x) => x !== v),
    };
    draw();
    input.focus();
    o.onChange();
  };
  const draw = () => {
    const all = [
      ...lists.include.map((v) => ({ v, ex: false })),
      ...lists.exclude.map((v) => ({ v, ex: true })),
    ];
    mount(
      chips,
      all.map(({ v, ex }) =>
        h(
          "li",
          { class: ex ? "chip chip-ex" : "chip" },
          ex ? `not ${v}` : v,
          h("button", {
            type: "button",
            "aria-label": `Remove ${o.noun} filter ${ex ? "not " : ""}${v}`,
            onclick: () => remove(v),
          }, "×"),
        )
      ),
    );
  };
  input.addEventListener("keydown", (ev) => {
    // Enter adds the typed value as an include chip (an empty field submits the form).
    if (ev.key === "Enter" && input.value.trim()) {
      ev.preventDefault();
      add(false);
    }
  });
  draw();
  const row = h(
    "div",
    { class: "chip-filter" },
    h("label", { for: o.id }, o.label),
    h(
      "div",
      { class: "actions" },
      input,
      [["Include", false], ["Exclude", true]].map(([label, exclude]) =>
        h("button", {
          type: "button",
          class: "btn btn-sm",
          id: `${o.id}-${String(label).toLowerCase()}`,
          "aria-label": `${label} ${o.noun}`,
          onclick: () => add(Boolean(exclude)),
        }, label)
      ),
    ),
    options,
    chips,
    h("p", { class: "hint", id: `${o.id}-hint` }, `No chip: every ${o.noun}.`),
  );
  return {
    row,
    lists: () => lists,
    /** @param {string[]} values */
    setOptions: (values) => mount(options, values.map((v) => h("option", { value: v }))),
  };
}

/**
 * @param {{main: HTMLElement, query: URLSearchParams, signal: AbortSignal}} ctx
 */
export function render({ main, query, signal }) {
  const st = eventsState(query);
  const pc = pcField({ id: "ev-pc", label: "PC", value: st.pc, signal });
  const apply = () => form.requestSubmit();
  const kinds = chipFilter({
    id: "ev-kinds",
    label: "Kinds",
    noun: "kind",
    include: st.kinds,
    exclude: st.kinds_ex,
    placeholder: "logon",
    onChange: apply,
  });
  const sources = chipFilter({
    id: "ev-sources",
    label: "Sources",
    noun: "source",
    include: st.sources,
    exclude: st.sources_ex,
    placeholder: "agent:internal",
    onChange: apply,
  });
  api.obsKinds(signal).then((r) => kinds.setOptions(r?.kinds ?? [])).catch(() => {});
  api.obsSources(signal).then((r) => sources.setOptions(r?.sources ?? [])).catch(() => {});
  const payloadKey = /** @type {HTMLInputElement} */ (h("input", {
    type: "text",
    id: "ev-payload-key",
    name: "payload_key",
    value: st.payload_key,
    autocomplete: "off",
    placeholder: "logon_type",
    "aria-describedby": "ev-payload-hint",
  }));
  const payloadValue = /** @type {HTMLInputElement} */ (h("input", {
    type: "text",
    id: "ev-payload-value",
    name: "payload_value",
    value: st.payload_value,
    autocomplete: "off",
    placeholder: "10",
    "aria-describedby": "ev-payload-hint",
  }));
  const from =
    /** @type {HTMLInputElement} */ (localTimeInput({ id: "ev-from", name: "from" }, st.from));
  const to = /** @type {HTMLInputElement} */ (localTimeInput({ id: "ev-to", name: "to" }, st.to));
  const limit = /** @type {HTMLSelectElement} */ (h(
    "select",
    { id: "ev-limit", name: "limit" },
    LIMITS.map((v) => h("option", { value: v, selected: v === st.limit }, v)),
  ));
  const status = h("div", { id: "ev-status", role: "status" });
  const heading = h("p", { class: "muted", id: "events-scope", role: "status" });
  const links = h("div");
  const listEl = h("div", { id: "events-list" });

  /** @param {HTMLInputElement} el */
  const iso = (el) => {
    const d = el.value ? new Date(el.value) : null;
    return d && !Number.isNaN(d.getTime()) ? d.toISOString() : "";
  };
  const form = /** @type {HTMLFormElement} */ (h(
    "form",
    {
      class: "card",
      role: "search",
      "aria-label": "Filter events",
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault();
        const key = payloadKey.value.trim();
        const problem = payloadProblem(key, payloadValue.value);
        if (problem) {
          mount(status, errorBox(problem));
          (key && !PAYLOAD_KEY.test(key) || !key ? payloadKey : payloadValue).focus();
          return;
        }
        mount(status);
        st.pc = pc.input.value.trim();
        const k = kinds.lists();
        const s = sources.lists();
        st.kinds = k.include;
        st.kinds_ex = k.exclude;
        st.sources = s.include;
        st.sources_ex = s.exclude;
        st.payload_key = key;
        st.payload_value = payloadValue.value;
        st.from = iso(from);
        st.to = iso(to);
        st.limit = limit.value;
        history.replaceState(null, "", eventsUrl(st));
        void reload();
      },
    },
    h(
      "div",
      { class: "form-grid" },
      pc.row,
      h("div", null, h("label", { for: "ev-from" }, "From"), from),
      h("div", null, h("label", { for: "ev-to" }, "To"), to),
      h("div", null, h("label", { for: "ev-limit" }, "Rows"), limit),
      kinds.row,
      sources.row,
      h(
        "fieldset",
        { class: "payload-filter" },
        h("legend", null, "Payload field"),
        h(
          "div",
          { class: "actions" },
          h("div", null, h("label", { for: "ev-payload-key" }, "Key"), payloadKey),
          h("div", null, h("label", { for: "ev-payload-value" }, "Value"), payloadValue),
        ),
        h(
          "p",
          { class: "hint", id: "ev-payload-hint" },
          "A top-level payload field, compared as text and as a number.",
        ),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary", id: "ev-apply" }, "Apply filters"),
      h("a", { class: "btn", href: "/events" }, "Clear"),
    ),
    status,
  ));
  main.append(pageHeader("Events"), form, heading, links, card("Timeline", listEl));

  const reload = liveSection(listEl, {
    signal,
    topics: ["obs"],
    minGapMs: 2000,
    what: "Loading events",
    load: async (s) => {
      const q = eventsQuery(st);
      heading.textContent = q
        ? `Events${st.pc ? ` of ${st.pc}` : " across the fleet"}, newest first (up to ${st.limit}).`
        : `Newest ${st.limit} events across the fleet. Choose a PC for its own timeline.`;
      mount(links, st.pc ? pcLinks(st.pc, { except: "events" }) : null);
      const r = q ? await api.obsEvents(q, s) : await api.obsRecent(Number(st.limit), s);
      return r?.events ?? [];
    },
    render: (events) => timelineView(events, st),
  });
}
