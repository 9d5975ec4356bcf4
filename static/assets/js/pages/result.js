// @ts-check
/// <reference lib="dom" />
/** One result: metadata, stdout/stderr, and a live tail while it is still running. */
import * as api from "../api.js";
import { fmtDuration, fmtTime, h, mount, resultState } from "../dom.js";
import { href } from "../routes.js";
import {
  actionButton,
  card,
  confirmDialog,
  errorBox,
  facts,
  loading,
  outputBox,
  pageHeader,
  stateBadge,
  toast,
} from "../ui.js";
import { live } from "../live.js";

/** @param {Record<string, string>} p */
export const title = (p) => `Result ${p.resultId.slice(0, 8)}`;

const TAIL_MS = 2000;

/** @param {import("../routes.js").PageContext} ctx */
export async function render({ main, params, signal }) {
  const id = params.resultId;
  const head = pageHeader(
    `Result ${id.slice(0, 8)}`,
    h("a", { class: "btn", href: "/activity" }, "Back to activity"),
  );
  const metaEl = h("div", { id: "result-meta" });
  const tailText = h("span", { role: "status", id: "tail-state" });
  const tailToggle = h("input", { type: "checkbox", id: "tail-toggle", checked: true });
  // Built once: re-mounting the checkbox on every tick would drop keyboard focus.
  const tailBar = h(
    "div",
    { class: "tail-bar hint", hidden: true },
    tailText,
    h("span", { class: "check" }, tailToggle, h("label", { for: "tail-toggle" }, "follow")),
  );
  const stdout = outputBox("result-stdout", "Standard output");
  const stderr = outputBox("result-stderr", "Standard error", "", "stderr");
  const killSlot = h("span");
  head.querySelector(".actions")?.prepend(killSlot);
  main.append(
    head,
    card("Result", metaEl),
    card("stdout", tailBar, stdout),
    card("stderr", stderr),
  );
  mount(metaEl, loading("Loading the result"));

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let tailOn = true;
  tailToggle.addEventListener("change", () => {
    tailOn = tailToggle.checked;
    if (tailOn) void tick();
    else clearTimeout(timer);
  });
  signal.addEventListener("abort", () => clearTimeout(timer));

  /** @param {any} r */
  const show = (r) => {
    const st = resultState(r);
    mount(
      metaEl,
      facts([
        ["Status", stateBadge(st)],
        ["PC", h("a", { href: href("/agents/:pc", { pc: r.pc_id }) }, r.pc_id)],
        [
          "Job",
          r.job_id
            ? h(
              "a",
              { href: href("/jobs/:id", { id: r.job_id }) },
              `${r.job_id} v${r.version ?? "?"}`,
            )
            : "—",
        ],
        [
          "Execution",
          // An ad-hoc run's exec id names no execution (there is no execution row for it).
          r.exec_id && r.job_id !== "adhoc-run"
            ? h("a", { href: href("/executions/:execId", { execId: r.exec_id }) }, r.exec_id)
            : r.exec_id
            ? h("span", null, h("code", null, r.exec_id), " (ad-hoc run)")
            : "—",
        ],
        ["Exit code", r.exit_code ?? "—"],
        ["Started", fmtTime(r.started_at)],
        ["Finished", r.finished_at ? fmtTime(r.finished_at) : "still running"],
        ["Duration", fmtDuration(r.started_at, r.finished_at)],
        ["Result id", h("code", null, r.result_id ?? id)],
        r.reaped ? ["Note", "Reaped: the backend never received a result for this run."] : null,
      ]),
    );
    stdout.textContent = r.stdout || "(empty)";
    stderr.textContent = r.stderr || "(empty)";
    if (st === "running" && r.exec_id && r.job_id !== "adhoc-run") {
      mount(
        killSlot,
        actionButton("Kill", async () => {
          if (!await confirmDialog({ title: "Kill this run?", confirm: "Kill", danger: true })) {
            return;
          }
          await api.killExecution(r.exec_id);
          toast("Kill sent", "ok");
        }, { class: "btn btn-danger", id: "result-kill" }),
      );
    } else mount(killSlot);
    return st;
  };

  const load = async () => {
    const r = await api.result(id, signal);
    return show(r);
  };

  // Live tail: `/results/{id}/tail` asks the agent for the output so far.
  const tick = async () => {
    clearTimeout(timer);
    if (!tailOn || signal.aborted) return;
    try {
      const t = await api.resultTail(id, signal);
      if (t?.stdout !== undefined) stdout.textContent = t.stdout || "(no output yet)";
      if (t?.stderr !== undefined) stderr.textContent = t.stderr || "(empty)";
      tailBar.hidden = false;
      tailText.textContent = t?.live === false
        ? "Agent did not answer; showing stored output."
        : "Live tail: updating every 2 s.";
      if (t && t.running === false) {
        await load();
        tailBar.hidden = true;
        return;
      }
    } catch (e) {
      if (signal.aborted) return;
      tailBar.hidden = false;
      tailText.textContent = `Live tail unavailable: ${e instanceof Error ? e.message : e}`;
    }
    timer = setTimeout(tick, TAIL_MS);
  };

  try {
    const st = await load();
    if (st === "running") void tick();
  } catch (e) {
    if (signal.aborted) return;
    mount(metaEl, errorBox(e));
    if (api.statusOf(e) !== 404) return;
    // A run that just answered may not be projected yet: look again as results arrive.
    metaEl.append(
      h(
        "p",
        { class: "hint" },
        "A result that just finished may not be recorded yet: this page looks again when new results arrive.",
      ),
    );
  }
  live.subscribe(["results"], async () => {
    try {
      const st = await load();
      if (st !== "running") {
        clearTimeout(timer);
        tailBar.hidden = true;
      }
    } catch { /* keep the last view */ }
  }, { signal });
}
