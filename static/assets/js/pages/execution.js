// @ts-check
/// <reference lib="dom" />
/**
 * Live execution view: progress bar (finished / target_count), per-PC status with
 * failures first, wave states when the execution rolls out in waves, and kill.
 */
import * as api from "../api.js";
import { fmtDuration, fmtTime, h, resultState } from "../dom.js";
import { href } from "../routes.js";
import {
  actionButton,
  card,
  confirmDialog,
  facts,
  liveSection,
  pageHeader,
  progressBar,
  stateBadge,
  table,
  toast,
} from "../ui.js";
import { timeCell } from "../views.js";

/** @param {Record<string, string>} p */
export const title = (p) => `Execution ${p.execId.slice(0, 8)}`;

const ORDER = { failure: 0, running: 1, success: 2 };

/**
 * Failures first, then running, then successes; PC id within each.
 * @param {any[]} rows
 */
export function sortPerPc(rows) {
  return [...rows].sort((a, b) =>
    (ORDER[resultState(a)] - ORDER[resultState(b)]) ||
    String(a.pc_id).localeCompare(String(b.pc_id))
  );
}

/** @param {any} waves */
function wavesView(waves) {
  if (!Array.isArray(waves) || !waves.length) return null;
  return h(
    "div",
    null,
    h("h3", null, "Waves"),
    table({
      caption: "Rollout waves",
      rows: waves,
      columns: [
        { label: "#", cell: (w) => (w.index ?? w.wave ?? 0) + 1, class: "num" },
        { label: "Group", cell: (w) => w.group ?? "—" },
        { label: "Delay", cell: (w) => w.delay ?? "—" },
        { label: "Due", cell: (w) => timeCell(w.due_at ?? w.due) },
        { label: "State", cell: (w) => stateBadge(w.state ?? w.status ?? "pending") },
        { label: "Published", cell: (w) => timeCell(w.published_at) },
        { label: "Note", cell: (w) => w.reason ?? "" },
      ],
    }),
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, params, signal }) {
  const id = params.execId;
  const summaryEl = h("div", { id: "exec-summary" });
  const pcsEl = h("div", { id: "exec-pcs" });
  /** @type {string | null} */
  let jobId = null;

  const kill = actionButton("Kill execution", async () => {
    const ok = await confirmDialog({
      title: "Kill this execution?",
      body: "Every agent still running it receives a kill and reports a failed result.",
      confirm: "Kill",
      danger: true,
    });
    if (!ok) return;
    try {
      await api.killExecution(id);
    } catch (e) {
      // Older backends only kill per job (every in-flight execution of it).
      if (
        (api.statusOf(e) === 404 || api.statusOf(e) === 405) && e instanceof Error &&
        /no route|not allowed/.test(e.message) && jobId
      ) {
        await api.killJob(jobId);
      } else throw e;
    }
    toast("Kill sent", "ok");
  }, { class: "btn btn-danger", id: "exec-kill" });

  main.append(
    pageHeader(
      `Execution ${id.slice(0, 8)}`,
      kill,
      h("a", { class: "btn", href: "/executions" }, "All executions"),
    ),
    card("Progress", summaryEl),
    card("Per PC", pcsEl),
  );

  liveSection(summaryEl, {
    signal,
    topics: ["results", "executions"],
    what: "Loading the execution",
    load: (s) => api.execution(id, s),
    render: (d) => {
      const e = d.execution ?? d;
      jobId = e.job_id;
      const rows = d.results ?? [];
      const finishedRows = rows.filter((/** @type {any} */ r) =>
        resultState(r) !== "running"
      ).length;
      const counted = (e.success_count ?? 0) + (e.failure_count ?? 0);
      const finished = Math.max(counted, finishedRows);
      const targetCount = Math.max(e.target_count ?? 0, rows.length);
      const pct = targetCount ? Math.min(100, Math.round((finished / targetCount) * 100)) : 0;
      const failed = Math.max(
        e.failure_count ?? 0,
        rows.filter((/** @type {any} */ r) => resultState(r) === "failure").length,
      );
      const running = rows.filter((/** @type {any} */ r) => resultState(r) === "running").length;
      const active = e.status === "pending" || e.status === "running";
      kill.disabled = !active && running === 0;
      renderPcs(rows, targetCount);
      return h(
        "div",
        null,
        h(
          "div",
          { class: "progress-line" },
          h(
            "strong",
            { id: "exec-progress-text" },
            `${finished} / ${targetCount} finished (${pct} %)`,
          ),
          h("span", null, stateBadge(e.status ?? "unknown")),
        ),
        progressBar({
          label: "Execution progress",
          value: finished,
          max: targetCount,
          id: "exec-progress",
        }),
        h(
          "p",
          { class: "hint" },
          `${failed} failed · ${running} running · ${
            Math.max(0, targetCount - rows.length)
          } not started`,
        ),
        facts([
          [
            "Job",
            h(
              "a",
              { href: href("/jobs/:id", { id: e.job_id }) },
              `${e.job_id} v${e.version ?? "?"}`,
            ),
          ],
          ["Execution id", h("code", null, e.exec_id ?? id)],
          ["Initiated by", e.initiated_by ?? "—"],
          ["Started", fmtTime(e.initiated_at)],
          ["Target", e.target_count ?? "—"],
        ]),
        wavesView(d.waves ?? e.waves),
      );
    },
  });

  /** @param {any[]} rows @param {number | null | undefined} targetCount */
  function renderPcs(rows, targetCount) {
    pcsEl.replaceChildren(
      table({
        caption: "Per-PC status, failures first",
        rows: sortPerPc(rows),
        empty: targetCount ? "Waiting for agents to start…" : "No PCs yet.",
        rowClass: (r) => resultState(r) === "failure" ? "row-failure" : undefined,
        columns: [
          {
            label: "PC",
            cell: (r) => h("a", { href: href("/agents/:pc", { pc: r.pc_id }) }, r.pc_id),
          },
          { label: "Status", cell: (r) => stateBadge(resultState(r)) },
          { label: "Exit", cell: (r) => r.exit_code ?? "—", class: "num" },
          { label: "Started", cell: (r) => timeCell(r.started_at) },
          { label: "Duration", cell: (r) => fmtDuration(r.started_at, r.finished_at) },
          {
            label: "Output",
            cell: (r) =>
              h("a", {
                href: href("/activity/:resultId", { resultId: r.result_id ?? r.request_id }),
                "aria-label": `Open result of ${r.pc_id}`,
              }, "Open"),
          },
        ],
      }),
    );
  }
}
