// @ts-check
/// <reference lib="dom" />
/**
 * Dashboard: fleet health (including the 503 "degraded" body), online/offline counts,
 * agent versions, running executions, upcoming schedules, recent results and audit.
 * Every card refreshes itself from the live stream.
 */
import * as api from "../api.js";
import { fmtTime, h, relTime } from "../dom.js";
import { href } from "../routes.js";
import { badge, card, liveSection, pageHeader, stateBadge, table } from "../ui.js";
import { fleetPerfSection } from "../perf_view.js";
import { auditTable, executionsTable, jetstreamView, resultsTable } from "../views.js";

export const title = "Dashboard";

/** @param {string | number} num @param {string} lbl */
const stat = (num, lbl, attrs = {}) =>
  h(
    "div",
    { class: "stat", ...attrs },
    h("span", { class: "num" }, num ?? "—"),
    h("span", { class: "lbl" }, lbl),
  );

/** @param {any} hl */
function healthView(hl) {
  const js = hl.jetstream ?? {};
  const ag = hl.agents ?? {};
  const rr = hl.recent_results ?? {};
  /** @type {Record<string, string>} */
  const explanations = {
    ok: "All JetStream resources are present and agents are reporting.",
    unknown: "No agents have reported yet.",
    degraded: hl.http_status === 503
      ? "Degraded (HTTP 503): see the missing resources or silent agents below."
      : "Degraded.",
  };
  const explain = explanations[hl.status] ?? "";
  return h(
    "div",
    { class: "health-body" },
    h("p", null, stateBadge(hl.status ?? "unknown"), " ", explain),
    h(
      "div",
      { class: "stats" },
      stat(ag.known, "known agents"),
      stat(ag.active, "active (≤ 2 min)"),
      stat(ag.stale, "stale"),
      stat(`${js.healthy ?? "?"}/${js.total ?? "?"}`, "JetStream resources"),
      stat(rr.total, `results (${rr.window_hours ?? 24} h)`),
      stat(rr.failed, "failed"),
    ),
    js.missing?.length
      ? h("p", { class: "error-box" }, "Missing JetStream resources: ", js.missing.join(", "))
      : null,
    h("p", { class: "hint" }, "Observed ", hl.observed_at ? fmtTime(hl.observed_at) : "—"),
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, signal }) {
  const healthEl = h("div");
  const countsEl = h("div");
  const versionsEl = h("div");
  const runningEl = h("div");
  const upcomingEl = h("div");
  const resultsEl = h("div");
  const auditEl = h("div");
  const jsEl = h("div");
  const eventsEl = h("div", { id: "recent-events" });
  const healthCard = card("Fleet health", healthEl);
  healthCard.classList.add("health");

  main.append(
    pageHeader("Dashboard", h("a", { class: "btn btn-primary", href: "/exec" }, "Run a job")),
    healthCard,
    h(
      "div",
      { class: "grid" },
      card("Agents", countsEl, h("h3", null, "Agent versions"), versionsEl),
      card("Running executions", runningEl),
      card("Upcoming schedules", upcomingEl),
    ),
    h(
      "div",
      { class: "grid" },
      card("Recent results", resultsEl),
      card("Recent audit", auditEl),
    ),
    card("Fleet performance", fleetPerfSection(signal)),
    card(
      "Recent events",
      eventsEl,
      h("p", null, h("a", { href: "/events" }, "All events")),
    ),
    card("JetStream", jsEl),
  );
  liveSection(eventsEl, {
    signal,
    topics: ["obs"],
    load: (s) => api.obsRecent(8, s),
    render: (r) =>
      table({
        caption: "Recent events",
        rows: r?.events ?? [],
        empty: "No events yet.",
        columns: [
          {
            label: "When",
            cell: (e) => h("time", { datetime: e.at ?? "", title: fmtTime(e.at) }, relTime(e.at)),
          },
          {
            label: "PC",
            cell: (e) => h("a", { href: `/events?pc=${encodeURIComponent(e.pc_id)}` }, e.pc_id),
          },
          { label: "Kind", cell: (e) => badge(e.kind, "info") },
          { label: "Source", cell: (e) => h("code", null, e.source) },
        ],
      }),
  });

  liveSection(healthEl, {
    signal,
    topics: ["agents", "results"],
    minGapMs: 5000,
    what: "Checking fleet health",
    load: (s) => api.fleetHealth(s),
    render: (hl) => {
      healthCard.dataset.status = hl.status ?? "unknown";
      return healthView(hl);
    },
  });
  liveSection(countsEl, {
    signal,
    topics: ["agents"],
    minGapMs: 5000,
    load: (s) => api.agents({ limit: 1 }, s),
    render: (r) =>
      h(
        "div",
        { class: "stats" },
        stat(r.online, "online", { id: "online-count" }),
        stat(r.offline, "offline", { id: "offline-count" }),
        stat(r.total, "total"),
      ),
  });
  liveSection(versionsEl, {
    signal,
    topics: ["agents"],
    minGapMs: 10000,
    load: (s) => api.agentVersions(s),
    render: (rows) =>
      table({
        caption: "Agent versions",
        rows: rows ?? [],
        empty: "No agents yet.",
        columns: [
          { label: "Version", cell: (v) => v.version ?? "unknown" },
          { label: "Agents", cell: (v) => v.total, class: "num" },
          { label: "Active", cell: (v) => v.active, class: "num" },
        ],
      }),
  });
  liveSection(runningEl, {
    signal,
    topics: ["executions"],
    load: async (s) => {
      const [running, pending] = await Promise.all([
        api.executions({ status: "running", limit: 10 }, s),
        api.executions({ status: "pending", limit: 10 }, s),
      ]);
      return [...(running ?? []), ...(pending ?? [])];
    },
    render: (rows) =>
      rows.length
        ? executionsTable(rows, { caption: "Running and pending executions" })
        : h("p", { class: "empty" }, "Nothing running right now."),
  });
  liveSection(upcomingEl, {
    signal,
    topics: ["schedules"],
    load: (s) => api.upcomingSchedules(6, s),
    render: (rows) =>
      rows?.length
        ? h(
          "ul",
          { class: "plain" },
          rows.map((/** @type {any} */ u) =>
            h(
              "li",
              null,
              h(
                "span",
                null,
                h("a", { href: href("/schedules/:id", { id: u.id }) }, u.id),
                " → ",
                u.job_id,
              ),
              h(
                "span",
                { class: "muted" },
                u.next_run
                  ? h(
                    "time",
                    { datetime: u.next_run, title: fmtTime(u.next_run) },
                    relTime(u.next_run),
                  )
                  : badge("no next run", "muted"),
              ),
            )
          ),
        )
        : h("p", { class: "empty" }, "No enabled schedules."),
  });
  liveSection(resultsEl, {
    signal,
    topics: ["results"],
    load: (s) => api.results({ limit: 8 }, s),
    render: (rows) =>
      resultsTable(rows ?? [], {
        caption: "Recent results",
        compact: true,
        empty: "No results yet.",
      }),
  });
  liveSection(jsEl, {
    signal,
    topics: [],
    load: (s) => api.jetstreamStatus(s),
    render: jetstreamView,
  });
  liveSection(auditEl, {
    signal,
    topics: ["audit"],
    load: (s) => api.audit({ limit: 8 }, s),
    render: (rows) =>
      auditTable(rows ?? [], {
        caption: "Recent audit events",
        compact: true,
        empty: "No audit events yet.",
      }),
  });
}
