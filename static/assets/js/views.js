/** Table renderers shared by several pages (results, executions, audit). */
import { fmtDuration, fmtTime, h, relTime, resultState } from "./dom.js";
import { href } from "./routes.js";
import { progressBar, stateBadge, table } from "./ui.js";

const timeCell = (ts) => ts ? h("time", { datetime: ts, title: fmtTime(ts) }, relTime(ts)) : "—";

/** Snippet with the regex match highlighted (`{before, matched, after, clipped_*}`). */
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

function outputPreview(r) {
  if (r.stdout_match) return matchSnippet(r.stdout_match);
  if (r.stderr_match) return matchSnippet(r.stderr_match);
  const text = (r.stdout || r.stderr || "").slice(0, 200);
  if (!text) return h("span", { class: "muted" }, "—");
  const truncated = r.stdout_truncated || r.stderr_truncated || (r.stdout ?? "").length > 200;
  return h("span", { class: "preview" }, text, truncated ? "…" : "");
}

export function resultsTable(
  rows,
  { caption = "Results", compact = false, empty = "No results match." } = {},
) {
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
  rows,
  { caption = "Audit log", compact = false, empty = "No audit events match." } = {},
) {
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
