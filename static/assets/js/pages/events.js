/**
 * Observability timeline (`/api/obs_events`): one PC's events (or the fleet's newest when
 * no filter is set), filtered by kind, source and time window, grouped by day.
 */
import * as api from "../api.js";
import { fmtTime, h, localTimeInput, mount, relTime } from "../dom.js";
import { href } from "../routes.js";
import { badge, card, liveSection, pageHeader, table } from "../ui.js";
import { pcField, pcLinks } from "../views.js";

export const title = "Events";

const LIMITS = ["50", "200", "500", "1000"];

/**
 * Page state from the URL (`pc`, `kinds` comma list, `source`, `from`, `to`, `limit`).
 * @param {URLSearchParams} q
 */
export function eventsState(q) {
  const limit = LIMITS.includes(q.get("limit") ?? "") ? String(q.get("limit")) : "200";
  return {
    pc: (q.get("pc") ?? "").trim(),
    kinds: (q.get("kinds") ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    source: (q.get("source") ?? "").trim(),
    from: q.get("from") ?? "",
    to: q.get("to") ?? "",
    limit,
  };
}

/** The API query for a state; `null` means "no filter": ask for the fleet's newest instead. */
export function eventsQuery(st) {
  const filtered = st.pc || st.kinds.length || st.source || st.from || st.to;
  if (!filtered) return null;
  return {
    pc_id: st.pc,
    kinds: st.kinds.join(","),
    sources: st.source,
    from: st.from,
    to: st.to,
    limit: Number(st.limit),
  };
}

/** The page's own URL for a state (defaults left out). */
export function eventsUrl(st) {
  const qs = new URLSearchParams();
  if (st.pc) qs.set("pc", st.pc);
  if (st.kinds.length) qs.set("kinds", st.kinds.join(","));
  if (st.source) qs.set("source", st.source);
  if (st.from) qs.set("from", st.from);
  if (st.to) qs.set("to", st.to);
  if (st.limit !== "200") qs.set("limit", st.limit);
  const s = qs.toString();
  return s ? `/events?${s}` : "/events";
}

/** A one-line summary of an event payload: its first scalar fields. */
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

/** Local calendar day of an instant ("2026-11-22"), for the day headings. */
export function dayOf(ts) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return "unknown day";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

const KIND_BADGE = (kind) =>
  /fail|error|crash|bsod|critical/i.test(kind)
    ? "fail"
    : /warn|shutdown|stop/i.test(kind)
    ? "warn"
    : /logon|login|start|boot|online/i.test(kind)
    ? "ok"
    : "info";

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

export function render({ main, query, signal }) {
  const st = eventsState(query);
  const pc = pcField({ id: "ev-pc", label: "PC", value: st.pc, signal });
  const kindSel = h("select", {
    id: "ev-kinds",
    name: "kinds",
    multiple: true,
    size: "4",
    "aria-describedby": "ev-kinds-hint",
  });
  const source = h("input", {
    type: "text",
    id: "ev-source",
    name: "source",
    value: st.source,
    autocomplete: "off",
    placeholder: "agent:internal",
  });
  const from = localTimeInput({ id: "ev-from", name: "from" }, st.from);
  const to = localTimeInput({ id: "ev-to", name: "to" }, st.to);
  const limit = h(
    "select",
    { id: "ev-limit", name: "limit" },
    LIMITS.map((v) => h("option", { value: v, selected: v === st.limit }, v)),
  );
  const heading = h("p", { class: "muted", id: "events-scope", role: "status" });
  const links = h("div");
  const listEl = h("div", { id: "events-list" });

  const fillKinds = (kinds) => {
    const all = [...new Set([...kinds, ...st.kinds])].sort();
    mount(
      kindSel,
      all.map((k) => h("option", { value: k, selected: st.kinds.includes(k) }, k)),
    );
    if (!all.length) mount(kindSel, h("option", { value: "", disabled: true }, "no kinds yet"));
  };
  fillKinds([]);
  api.obsKinds(signal).then((r) => fillKinds(r?.kinds ?? [])).catch(() => {});

  const iso = (el) => {
    const v = /** @type {HTMLInputElement} */ (el).value;
    const d = v ? new Date(v) : null;
    return d && !Number.isNaN(d.getTime()) ? d.toISOString() : "";
  };
  const form = h(
    "form",
    {
      class: "card",
      role: "search",
      "aria-label": "Filter events",
      onsubmit: (ev) => {
        ev.preventDefault();
        st.pc = pc.input.value.trim();
        st.kinds = [.../** @type {HTMLSelectElement} */ (kindSel).selectedOptions].map((o) =>
          o.value
        ).filter(Boolean);
        st.source = /** @type {HTMLInputElement} */ (source).value.trim();
        st.from = iso(from);
        st.to = iso(to);
        st.limit = /** @type {HTMLSelectElement} */ (limit).value;
        history.replaceState(null, "", eventsUrl(st));
        void reload();
      },
    },
    h(
      "div",
      { class: "form-grid" },
      pc.row,
      h(
        "div",
        null,
        h("label", { for: "ev-kinds" }, "Kinds"),
        kindSel,
        h("p", { class: "hint", id: "ev-kinds-hint" }, "None selected: every kind."),
      ),
      h("div", null, h("label", { for: "ev-source" }, "Source"), source),
      h("div", null, h("label", { for: "ev-from" }, "From"), from),
      h("div", null, h("label", { for: "ev-to" }, "To"), to),
      h("div", null, h("label", { for: "ev-limit" }, "Rows"), limit),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary", id: "ev-apply" }, "Apply filters"),
      h("a", { class: "btn", href: "/events" }, "Clear"),
    ),
  );
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
