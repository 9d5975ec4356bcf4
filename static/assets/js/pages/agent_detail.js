// @ts-check
/// <reference lib="dom" />
/** One agent: facts, groups editor, its compliance checks, ping, log tail, inventory, recent results. */
import * as api from "../api.js";
import { agentOnline, fmtBytes, fmtTime, h, mount, relTime } from "../dom.js";
import {
  actionButton,
  canWrite,
  card,
  errorBox,
  facts,
  liveSection,
  loadInto,
  outputBox,
  pageHeader,
  readOnlyNote,
  stateBadge,
  toast,
} from "../ui.js";
import { pcLinks, pingInto, resultsTable } from "../views.js";
import { fmtFact } from "../inventory_view.js";
import { href } from "../routes.js";
import { hostPerfSection, processSection } from "../perf_view.js";
import { checkRowsTable, transitionsTable } from "../checks_view.js";

/** @param {Record<string, string>} p */
export const title = (p) => `Agent ${p.pc}`;

/** @param {string} pc @param {string[]} initial */
function groupsEditor(pc, initial) {
  let groups = [...initial];
  let saved = [...initial];
  const list = h("ul", { class: "chips", "aria-label": "Groups of this agent" });
  const input = h("input", {
    type: "text",
    id: "group-add",
    name: "group",
    autocomplete: "off",
    placeholder: "e.g. canary",
    pattern: "[A-Za-z0-9_\\-]+",
    title: "letters, digits, - and _ (a NATS subject token)",
  });
  const status = h("div", { role: "status" });
  const saveBtn = actionButton("Save groups", async () => {
    const res = await api.setAgentGroups(pc, groups);
    groups = [...(res?.groups ?? groups)];
    saved = [...groups];
    draw();
    toast(`Groups of ${pc} saved`, "ok");
  }, { class: "btn btn-primary", id: "groups-save" });
  const draw = () => {
    mount(
      list,
      groups.length ? null : h("li", { class: "empty" }, "No groups."),
      groups.map((g) =>
        h(
          "li",
          { class: "chip" },
          g,
          h("button", {
            type: "button",
            "aria-label": `Remove group ${g}`,
            onclick: () => {
              groups = groups.filter((x) => x !== g);
              draw();
              input.focus();
            },
          }, "×"),
        )
      ),
    );
    const dirty = JSON.stringify([...groups].sort()) !== JSON.stringify([...saved].sort());
    status.textContent = dirty ? "Unsaved changes." : "";
    saveBtn.disabled = !dirty;
  };
  const add = () => {
    const v = input.value.trim();
    if (!v) return;
    if (!/^[A-Za-z0-9_-]+$/.test(v)) {
      mount(status, errorBox("A group name may hold letters, digits, - and _ only."));
      return;
    }
    if (!groups.includes(v)) groups.push(v);
    input.value = "";
    draw();
  };
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      add();
    }
  });
  draw();
  return h(
    "div",
    null,
    list,
    h(
      "div",
      { class: "inline-form" },
      h("div", null, h("label", { for: "group-add" }, "Add group"), input),
      h("button", { type: "button", class: "btn", onclick: add }, "Add"),
      saveBtn,
    ),
    status,
  );
}

/** @param {any[]} rows */
function inventoryView(rows) {
  if (!rows?.length) return h("p", { class: "empty" }, "No inventory collected for this PC.");
  return rows.map((inv) => {
    const display = Array.isArray(inv.display) ? inv.display : [];
    const f = inv.facts ?? {};
    const pairs = display.length
      ? display.filter((/** @type {any} */ d) => d.type !== "table").map((
        /** @type {any} */ d,
      ) => [d.label ?? d.field, fmtFact(f[d.field], d.type)])
      : Object.entries(f).filter(([, v]) => typeof v !== "object").map(([k, v]) => [k, String(v)]);
    return h(
      "div",
      null,
      h(
        "h3",
        null,
        h(
          "a",
          { href: href("/inventory/:manifestId/:pc", { manifestId: inv.job_id, pc: inv.pc_id }) },
          inv.job_id,
        ),
        h("span", { class: "muted" }, ` · collected ${relTime(inv.collected_at)}`),
      ),
      pairs.length ? facts(pairs) : null,
      h(
        "details",
        null,
        h("summary", null, "Raw facts"),
        h("pre", { class: "output" }, JSON.stringify(f, null, 2)),
      ),
    );
  });
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, params, signal }) {
  const pc = params.pc;
  const writable = canWrite();
  const infoEl = h("div", { id: "agent-info" });
  const groupsEl = h("div");
  const pingEl = h("div", { role: "status" });
  const logsOut = outputBox("agent-logs", "Agent log tail", "Not loaded.");
  const invEl = h("div");
  const cfgEl = h("div");
  const resultsEl = h("div");
  const checksEl = h("div", { id: "agent-checks" });
  const historyEl = h("div", { id: "agent-check-history" });
  const tail = h("input", { type: "number", id: "log-tail", min: "1", max: "5000", value: "200" });

  main.append(
    pageHeader(
      pc,
      h("a", { class: "btn", href: `/exec?pcs=${encodeURIComponent(pc)}` }, "Run a job here"),
      h(
        "a",
        { class: "btn", href: `/activity?pc_id=${encodeURIComponent(api.exactRegex(pc))}` },
        "All results",
      ),
    ),
    pcLinks(pc, { except: "agent" }),
    h(
      "div",
      { class: "grid" },
      card("Agent", infoEl),
      card("Groups", groupsEl),
      card(
        "Ping",
        h("p", { class: "hint" }, "Asks the agent for a fresh heartbeat (waits up to 30 s)."),
        writable
          ? actionButton("Ping agent", () => pingInto(pingEl, pc, { raw: true }), { id: "ping" })
          : readOnlyNote("ping agents"),
        pingEl,
      ),
    ),
    card(
      "Checks",
      checksEl,
      h("details", null, h("summary", null, "Status changes (newest 20)"), historyEl),
    ),
    card(
      "Logs",
      h(
        "form",
        {
          class: "inline-form",
          onsubmit: async (ev) => {
            ev.preventDefault();
            logsOut.textContent = "Fetching logs from the agent…";
            try {
              const text = await api.agentLogs(
                pc,
                Number(tail.value) || 200,
              );
              logsOut.textContent = text || "(empty)";
            } catch (e) {
              mount(logsOut);
              logsOut.append(errorBox(e, "Logs unavailable:"));
            }
          },
        },
        h("div", { class: "narrow" }, h("label", { for: "log-tail" }, "Lines"), tail),
        h("button", { type: "submit", class: "btn", id: "logs-fetch" }, "Fetch logs"),
      ),
      h("div", { style: "margin-top:10px" }, logsOut),
    ),
    card("Performance", hostPerfSection(pc, signal)),
    card("Processes", processSection(pc, signal)),
    card("Inventory", invEl),
    card(
      "Effective config",
      cfgEl,
      h(
        "p",
        null,
        h(
          "a",
          { href: `/config?scope=pc&value=${encodeURIComponent(pc)}` },
          "Edit this PC's config",
        ),
      ),
    ),
    card("Recent results", resultsEl),
  );

  liveSection(infoEl, {
    signal,
    topics: ["agents"],
    minGapMs: 5000,
    load: (s) => api.agent(pc, s),
    render: (a) =>
      facts([
        ["State", stateBadge(agentOnline(a) ? "online" : "offline")],
        ["Hostname", a.hostname],
        ["OS", a.os_family],
        ["Agent version", a.agent_version],
        [
          "Last heartbeat",
          a.last_heartbeat
            ? `${relTime(a.last_heartbeat)} (${fmtTime(a.last_heartbeat)})`
            : "never",
        ],
        ["Last logon", a.last_logon_display_name ?? a.last_logon_user],
        [
          "Agent CPU",
          a.agent_cpu_pct === null || a.agent_cpu_pct === undefined
            ? "—"
            : `${Number(a.agent_cpu_pct).toFixed(1)} %`,
        ],
        ["Agent memory", fmtBytes(a.agent_rss_bytes)],
        a.quarantined_versions?.length
          ? ["Quarantined versions", a.quarantined_versions.join(", ")]
          : null,
      ]),
  });
  // Every check this PC reported, ok ones too (the card is its compliance at a glance).
  liveSection(checksEl, {
    signal,
    topics: ["checks"],
    minGapMs: 2000,
    what: "Loading checks",
    load: (s) => api.checks({ pc_id: pc, include_ok: true }, s),
    render: (v) =>
      checkRowsTable(v?.rows ?? [], {
        caption: `Checks of ${pc}`,
        by: "check",
        empty: "No check has reported on this PC.",
      }),
  });
  liveSection(historyEl, {
    signal,
    topics: ["checks"],
    minGapMs: 2000,
    what: "Loading status changes",
    load: (s) => api.checkTransitions({ pc_id: pc, limit: 20 }, s),
    render: (v) => transitionsTable(v?.transitions ?? [], `Check status changes of ${pc}`),
  });
  void loadInto(
    groupsEl,
    () => api.agentGroups(pc, signal),
    (g) =>
      writable ? groupsEditor(pc, g?.groups ?? []) : h(
        "div",
        null,
        h(
          "ul",
          { class: "chips", "aria-label": "Groups of this agent" },
          (g?.groups ?? []).length
            ? g.groups.map((/** @type {string} */ x) => h("li", { class: "chip" }, x))
            : h("li", { class: "empty" }, "No groups."),
        ),
        readOnlyNote("change groups"),
      ),
  );
  void loadInto(
    invEl,
    () => api.inventory(pc, signal),
    (rows) => inventoryView((rows ?? []).map((/** @type {any} */ r) => ({ ...r, pc_id: pc }))),
  );
  void loadInto(cfgEl, () => api.effectiveConfig(pc, signal), (c) =>
    h(
      "div",
      null,
      h(
        "p",
        { class: "hint" },
        "Built-in defaults, then global, then each group alphabetically, then this PC.",
      ),
      (c?.warnings ?? []).map((/** @type {string} */ w) => h("p", { class: "note" }, w)),
      facts(
        Object.entries(c?.effective ?? {}).map((
          [k, v],
        ) => [k, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)]),
      ),
    ));
  liveSection(resultsEl, {
    signal,
    topics: ["results"],
    load: (s) => api.results({ pc_id: api.exactRegex(pc), limit: 10 }, s),
    render: (rows) =>
      resultsTable(rows ?? [], { caption: `Recent results of ${pc}`, compact: true }),
  });
}
