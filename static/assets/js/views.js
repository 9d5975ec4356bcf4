// @ts-check
/// <reference lib="dom" />
/** Table renderers shared by several pages (results, executions, audit). */
import { fmtBytes, fmtDuration, fmtTime, h, mount, relTime, resultState } from "./dom.js";
import { href } from "./routes.js";
import { badge, errorBox, progressBar, stateBadge, table } from "./ui.js";
import * as api from "./api.js";

/** @param {string | null | undefined} ts */
const timeCell = (ts) => ts ? h("time", { datetime: ts, title: fmtTime(ts) }, relTime(ts)) : "—";

/**
 * Snippet with the regex match highlighted (`{before, matched, after, clipped_*}`).
 * @param {any} m
 */
function matchSnippet(m) {
  return h(
    "span",
    { class: "preview" },
    m.clipped_start ? "…" : "",
    m.before ?? "",
    h("mark", null, m.matched ?? ""),
    m.after ?? "",
    m.clipped_end ? "…" : "",
  );
}

/** @param {any} r */
function outputPreview(r) {
  if (r.stdout_match) return matchSnippet(r.stdout_match);
  if (r.stderr_match) return matchSnippet(r.stderr_match);
  const text = (r.stdout || r.stderr || "").slice(0, 200);
  if (!text) return h("span", { class: "muted" }, "—");
  const truncated = r.stdout_truncated || r.stderr_truncated || (r.stdout ?? "").length > 200;
  return h("span", { class: "preview" }, text, truncated ? "…" : "");
}

export function resultsTable(
  /** @type {any[]} */ rows,
  { caption = "Results", compact = false, empty = "No results match." } = {},
) {
  /** @type {import("./ui.js").Column[]} */
  const cols = [
    {
      label: "Result",
      cell: (r) =>
        h(
          "a",
          { href: href("/activity/:resultId", { resultId: r.result_id ?? r.request_id }) },
          (r.result_id ?? r.request_id ?? "").slice(0, 8),
        ),
    },
    {
      label: "PC",
      cell: (r) => h("a", { href: href("/agents/:pc", { pc: r.pc_id }) }, r.pc_id),
    },
    { label: "Job", cell: (r) => r.job_id ?? "—" },
    { label: "Status", cell: (r) => stateBadge(resultState(r)) },
    { label: "Exit", cell: (r) => r.exit_code ?? "—", class: "num" },
    { label: "Started", cell: (r) => timeCell(r.started_at) },
    { label: "Duration", cell: (r) => fmtDuration(r.started_at, r.finished_at) },
  ];
  if (!compact) cols.push({ label: "Output", cell: outputPreview });
  return table({
    caption,
    columns: cols,
    rows,
    empty,
    rowClass: (r) => resultState(r) === "failure" ? "row-failure" : undefined,
  });
}

/** @param {any} e */
export function execProgress(e) {
  const done = (e.success_count ?? 0) + (e.failure_count ?? 0);
  return h(
    "div",
    null,
    progressBar({
      label: `Execution ${e.exec_id} progress`,
      value: done,
      max: e.target_count ?? 0,
    }),
    h("span", { class: "hint" }, `${done} / ${e.target_count ?? "?"}`),
  );
}

/** @param {any[]} rows */
export function executionsTable(rows, { caption = "Executions" } = {}) {
  return table({
    caption,
    rows,
    empty: "No executions.",
    columns: [
      {
        label: "Execution",
        cell: (e) =>
          h(
            "a",
            { href: href("/executions/:execId", { execId: e.exec_id }) },
            e.exec_id.slice(0, 8),
          ),
      },
      {
        label: "Job",
        cell: (e) =>
          h("span", null, e.job_id, h("span", { class: "muted" }, ` v${e.version ?? "?"}`)),
      },
      { label: "Status", cell: (e) => stateBadge(e.status ?? "unknown") },
      { label: "Progress", cell: execProgress },
      { label: "OK", cell: (e) => e.success_count ?? 0, class: "num" },
      { label: "Failed", cell: (e) => e.failure_count ?? 0, class: "num" },
      { label: "By", cell: (e) => e.initiated_by ?? "—" },
      { label: "Started", cell: (e) => timeCell(e.initiated_at) },
    ],
    rowClass: (e) => (e.failure_count ?? 0) > 0 ? "row-failure" : undefined,
  });
}

/** @param {unknown} p */
function payloadCell(p) {
  if (p === null || p === undefined) return "—";
  const text = typeof p === "string" ? p : JSON.stringify(p);
  if (text.length <= 80) return h("code", null, text);
  return h(
    "details",
    null,
    h("summary", null, h("code", null, text.slice(0, 60) + "…")),
    h("pre", { class: "output" }, typeof p === "string" ? p : JSON.stringify(p, null, 2)),
  );
}

export function auditTable(
  /** @type {any[]} */ rows,
  { caption = "Audit log", compact = false, empty = "No audit events match." } = {},
) {
  /** @type {import("./ui.js").Column[]} */
  const columns = [
    { label: "When", cell: (a) => timeCell(a.occurred_at) },
    { label: "Actor", cell: (a) => a.actor },
    { label: "Action", cell: (a) => h("code", null, a.action) },
    { label: "Target", cell: (a) => a.target ?? "—" },
  ];
  if (!compact) columns.push({ label: "Payload", cell: (a) => payloadCell(a.payload) });
  return table({ caption, rows, empty, columns });
}

export { timeCell };

/**
 * A labelled PC id input whose suggestions (a datalist) are the known agents, loaded in
 * the background; typing any id still works.
 * @param {{id: string, label: string, value?: string, signal?: AbortSignal,
 *   required?: boolean, hint?: string}} o
 */
export function pcField(o) {
  const listId = `${o.id}-options`;
  const input = h("input", {
    type: "text",
    id: o.id,
    name: "pc_id",
    value: o.value ?? "",
    list: listId,
    autocomplete: "off",
    required: o.required,
    placeholder: "PC-0001",
    spellcheck: "false",
  });
  const datalist = h("datalist", { id: listId });
  api.agents({ limit: 500 }, o.signal).then((r) => {
    datalist.replaceChildren(
      ...r.rows.map((a) => h("option", { value: a.pc_id }, a.hostname ?? "")),
    );
  }).catch(() => {/* suggestions are optional */});
  const row = h(
    "div",
    null,
    h("label", { for: o.id }, o.label),
    input,
    datalist,
    o.hint ? h("p", { class: "hint" }, o.hint) : null,
  );
  return { row, input: input };
}

/**
 * Links from one PC to its other views (detail, events, logs, config, results).
 * @param {string} pc
 */
export function pcLinks(pc, { except = "" } = {}) {
  const q = encodeURIComponent(pc);
  const links = [
    ["agent", "Agent", href("/agents/:pc", { pc })],
    ["events", "Events", `/events?pc=${q}`],
    ["logs", "Logs", `/logs?pc=${q}`],
    ["config", "Config", `/config?scope=pc&value=${q}`],
    ["run", "Run script", `/run?pc=${q}`],
  ];
  return h(
    "nav",
    { class: "tabs", "aria-label": `Views of ${pc}` },
    links.filter(([k]) => k !== except).map(([, label, to]) => h("a", { href: to }, label)),
  );
}

/**
 * Streams, KV buckets and object stores: what exists, how much it holds.
 * @param {any} st
 */
export function jetstreamView(st, { open = false } = {}) {
  const rows = [
    ...(st?.streams ?? []).map((/** @type {any} */ r) => ({ ...r, kind: "stream" })),
    ...(st?.kv_buckets ?? []).map((/** @type {any} */ r) => ({ ...r, kind: "KV bucket" })),
    ...(st?.object_stores ?? []).map((/** @type {any} */ r) => ({ ...r, kind: "object store" })),
  ];
  const missing = rows.filter((r) => !r.exists);
  return h(
    "div",
    null,
    h(
      "p",
      null,
      missing.length ? badge(`${missing.length} missing`, "fail") : badge("all present", "ok"),
      ` ${rows.length - missing.length} of ${rows.length} resources exist.`,
    ),
    h(
      "details",
      { open: open || missing.length > 0 },
      h("summary", null, "Resources"),
      table({
        caption: "JetStream resources",
        rows,
        columns: [
          { label: "Name", cell: (r) => h("code", null, r.name) },
          { label: "Kind", cell: (r) => r.kind },
          { label: "State", cell: (r) => stateBadge(r.exists ? "ok" : "failed") },
          { label: "Messages", cell: (r) => r.messages ?? "—", class: "num" },
          {
            label: "Size",
            cell: (r) =>
              r.max_bytes ? `${fmtBytes(r.bytes)} of ${fmtBytes(r.max_bytes)}` : fmtBytes(r.bytes),
            class: "num",
          },
        ],
      }),
    ),
  );
}

/**
 * Pings one PC and shows the outcome in `el`: its fresh heartbeat, or why there was none
 * (408: no answer in time). `raw` adds the whole heartbeat as JSON.
 * @param {HTMLElement} el
 * @param {string} pc
 */
export async function pingInto(el, pc, { raw = false } = {}) {
  mount(el, h("p", { class: "loading" }, `Waiting for a heartbeat from ${pc}…`));
  try {
    const r = await api.pingAgent(pc);
    const hb = r?.heartbeat ?? r;
    mount(
      el,
      h(
        "p",
        null,
        stateBadge("online"),
        ` ${pc} answered at ${fmtTime(hb?.at ?? new Date().toISOString())}`,
      ),
      raw
        ? h("pre", { class: "output" }, JSON.stringify(hb, null, 2))
        : hb?.agent_version
        ? h("p", { class: "hint" }, `Agent version ${hb.agent_version}`)
        : null,
    );
  } catch (e) {
    mount(el, errorBox(e, api.statusOf(e) === 408 ? "No answer:" : "Ping failed:"));
  }
}
