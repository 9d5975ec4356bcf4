// @ts-check
/// <reference lib="dom" />
/** Agents: server-side search + paging (`X-Total-Count`), online/offline state. */
import * as api from "../api.js";
import { agentOnline, fmtBytes, fmtTime, h, relTime, searchInput, selectBox } from "../dom.js";
import { href } from "../routes.js";
import { liveSection, pageHeader, stateBadge, table } from "../ui.js";

export const title = "Agents";
const PAGE_SIZES = [25, 50, 100, 200];

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal }) {
  const state = {
    q: query.get("q") ?? "",
    status: query.get("status") ?? "",
    offset: Math.max(0, Number(query.get("offset") ?? 0) || 0),
    limit: Math.min(500, Math.max(1, Number(query.get("limit") ?? 25) || 25)),
  };
  const listEl = h("div", { id: "agents-list" });
  const summary = h("p", { class: "muted", role: "status", id: "agents-summary" });

  const syncUrl = () => {
    const qs = new URLSearchParams();
    if (state.q) qs.set("q", state.q);
    if (state.status) qs.set("status", state.status);
    if (state.offset) qs.set("offset", String(state.offset));
    if (state.limit !== 25) qs.set("limit", String(state.limit));
    const s = qs.toString();
    history.replaceState(null, "", s ? `/agents?${s}` : "/agents");
  };

  const search = searchInput("agent-q", "q", "PC id or hostname", state.q);
  const status = selectBox({ id: "agent-status", name: "status" }, [["", "All"], [
    "online",
    "Online",
  ], ["offline", "Offline"]], state.status);
  const sizes = [...new Set([...PAGE_SIZES, state.limit])].sort((a, b) => a - b);
  const size = h(
    "select",
    { id: "agent-limit", name: "limit" },
    sizes.map((n) => h("option", { value: String(n), selected: n === state.limit }, String(n))),
  );
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let debounce;
  const apply = () => {
    state.q = search.value.trim();
    state.status = status.value;
    state.limit = Number(size.value) || 25;
    state.offset = 0;
    syncUrl();
    void reload();
  };
  search.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(apply, 300);
  });
  status.addEventListener("change", apply);
  size.addEventListener("change", apply);

  main.append(
    pageHeader("Agents"),
    h(
      "form",
      {
        class: "card inline-form",
        role: "search",
        "aria-label": "Filter agents",
        onsubmit: (ev) => {
          ev.preventDefault();
          clearTimeout(debounce);
          apply();
        },
      },
      h("div", null, h("label", { for: "agent-q" }, "Search"), search),
      h("div", null, h("label", { for: "agent-status" }, "State"), status),
      h("div", { class: "narrow" }, h("label", { for: "agent-limit" }, "Per page"), size),
      h("button", { type: "submit", class: "btn" }, "Search"),
    ),
    summary,
    listEl,
  );

  /** @param {string} label @param {number} to @param {boolean} disabled @param {string} id */
  const pageBtn = (label, to, disabled, id) =>
    h("button", {
      type: "button",
      class: "btn",
      id,
      disabled,
      onclick: () => {
        state.offset = Math.max(0, to);
        syncUrl();
        void reload().then(() =>
          /** @type {HTMLElement | null | undefined} */ (listEl.querySelector("table")?.closest(
            ".table-wrap",
          ))?.focus()
        );
      },
    }, label);

  const reload = liveSection(listEl, {
    signal,
    topics: ["agents"],
    minGapMs: 5000,
    what: "Loading agents",
    load: (s) =>
      api.agents({
        q: state.q,
        status: state.status,
        limit: state.limit,
        offset: state.offset,
      }, s),
    render: (r) => {
      const from = r.total === 0 ? 0 : state.offset + 1;
      const to = state.offset + r.rows.length;
      summary.textContent = `${from}–${to} of ${r.total} agents` +
        (r.online !== null ? ` · ${r.online} online, ${r.offline ?? "?"} offline` : "");
      return h(
        "div",
        null,
        table({
          caption: "Agents",
          rows: r.rows,
          empty: state.q || state.status
            ? "No agents match this filter."
            : "No agents have reported yet.",
          columns: [
            {
              label: "PC",
              cell: (a) => h("a", { href: href("/agents/:pc", { pc: a.pc_id }) }, a.pc_id),
            },
            { label: "Hostname", cell: (a) => a.hostname ?? "—" },
            { label: "State", cell: (a) => stateBadge(agentOnline(a) ? "online" : "offline") },
            { label: "Version", cell: (a) => a.agent_version ?? "—" },
            { label: "OS", cell: (a) => a.os_family ?? "—" },
            { label: "User", cell: (a) => a.last_logon_display_name ?? a.last_logon_user ?? "—" },
            {
              label: "Last heartbeat",
              cell: (a) =>
                a.last_heartbeat
                  ? h(
                    "time",
                    { datetime: a.last_heartbeat, title: fmtTime(a.last_heartbeat) },
                    relTime(a.last_heartbeat),
                  )
                  : "never",
            },
            { label: "Agent RSS", cell: (a) => fmtBytes(a.agent_rss_bytes), class: "num" },
          ],
        }),
        h(
          "nav",
          { class: "pager", "aria-label": "Agent pages" },
          pageBtn("← Previous", state.offset - state.limit, state.offset === 0, "agents-prev"),
          h(
            "span",
            { class: "muted" },
            `Page ${Math.floor(state.offset / state.limit) + 1} of ${
              Math.max(1, Math.ceil(r.total / state.limit))
            }`,
          ),
          pageBtn("Next →", state.offset + state.limit, to >= r.total, "agents-next"),
        ),
      );
    },
  });
}
