// @ts-check
/// <reference lib="dom" />
/**
 * Ad-hoc script on one PC (`POST /api/run`, answered with the ExecResult once the agent
 * replies) and ping. While the run is in flight the page looks for its result row so the
 * live output view can be opened before the answer arrives.
 */
import * as api from "../api.js";
import { fmtDuration, fmtTime, h, mount, selectBox } from "../dom.js";
import { href } from "../routes.js";
import {
  actionButton,
  canWrite,
  card,
  errorBox,
  facts,
  outputBox,
  pageHeader,
  readOnlyNote,
  stateBadge,
} from "../ui.js";
import { pcField, pcLinks, pingInto } from "../views.js";

export const title = "Run script";

/** The job id the backend gives ad-hoc runs in the results table. */
const ADHOC_JOB = "adhoc-run";
const FIND_RUNNING_MS = 1500;
const STORED_WAIT_MS = 15_000;

/**
 * What `POST /api/run` is sent for one ad-hoc run.
 * @typedef {{pc_id: string, shell: string, script: string, timeout_secs: number,
 *   run_as: string}} RunBody
 */

/**
 * The request body from the form's values; an error message instead when they are unusable.
 * @param {{pc: string, shell: string, runAs: string, timeout: string, script: string}} f
 * @returns {{body: RunBody} | {error: string}}
 */
export function runBody(f) {
  const pc = f.pc.trim();
  if (!pc) return { error: "Enter the PC to run on." };
  if (/[\s.*>]/.test(pc)) {
    return { error: `“${pc}” is not a PC id (no spaces, dots or wildcards).` };
  }
  if (!f.script.trim()) return { error: "The script is empty." };
  const t = f.timeout.trim() === "" ? 60 : Number(f.timeout);
  if (!Number.isInteger(t) || t < 1 || t > 3600) {
    return { error: "Timeout must be a whole number of seconds between 1 and 3600." };
  }
  return {
    body: { pc_id: pc, shell: f.shell, script: f.script, timeout_secs: t, run_as: f.runAs },
  };
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal }) {
  const writable = canWrite();
  const pc = pcField({
    id: "run-pc",
    label: "PC",
    value: query.get("pc") ?? "",
    signal,
    required: true,
  });
  /**
   * @param {string} id
   * @param {string} label
   * @param {[string, string][]} options
   * @param {string} value
   */
  const select = (id, label, options, value) =>
    h(
      "div",
      { class: "narrow" },
      h("label", { for: id }, label),
      selectBox({ id, name: id }, options, value),
    );
  const shellRow = select(
    "run-shell",
    "Shell",
    [["powershell", "PowerShell"], ["cmd", "cmd"]],
    query.get("shell") ?? "powershell",
  );
  const asRow = select("run-as", "Run as", [["system", "SYSTEM"], ["user", "Logged-on user"], [
    "system_gui",
    "SYSTEM (GUI session)",
  ]], "system");
  const timeout = h("input", {
    type: "number",
    id: "run-timeout",
    name: "timeout",
    min: "1",
    max: "3600",
    value: "60",
    "aria-describedby": "run-timeout-hint",
  });
  const script = h("textarea", {
    id: "run-script",
    name: "script",
    rows: "8",
    spellcheck: "false",
    class: "code",
    placeholder: "Get-ComputerInfo | Select-Object OsName",
  });
  const status = h("div", { id: "run-status", role: "status", "aria-live": "polite" });
  const resultEl = h("div", { id: "run-result" });
  const pingEl = h("div", { id: "ping-result", role: "status" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "run-submit" }, "Run");

  /** @param {Element} el */
  const val = (el) => /** @type {HTMLInputElement} */ (el).value;
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": "Run a script on one PC",
      novalidate: true,
      onsubmit: (ev) => {
        ev.preventDefault();
        const b = runBody({
          pc: pc.input.value,
          shell: val(/** @type {HTMLSelectElement} */ (shellRow.querySelector("select"))),
          runAs: val(/** @type {HTMLSelectElement} */ (asRow.querySelector("select"))),
          timeout: val(timeout),
          script: val(script),
        });
        if ("error" in b) {
          mount(status, errorBox(b.error));
          return;
        }
        void execute(b.body);
      },
    },
    h(
      "div",
      { class: "inline-form" },
      pc.row,
      shellRow,
      asRow,
      h("div", { class: "narrow" }, h("label", { for: "run-timeout" }, "Timeout (s)"), timeout),
    ),
    h(
      "p",
      { class: "hint", id: "run-timeout-hint" },
      "The page waits for the agent's answer up to the timeout plus 10 s.",
    ),
    h("div", { class: "form-row" }, h("label", { for: "run-script" }, "Script"), script),
    writable ? h("div", { class: "actions" }, submit) : readOnlyNote("run scripts or ping agents"),
    status,
  );

  main.append(
    pageHeader("Run script"),
    form,
    card("Result", resultEl),
    // append() would print a null as the text "null": only what is there goes in.
    ...(writable
      ? [card(
        "Ping",
        h("p", { class: "hint" }, "Asks the PC above for a fresh heartbeat (waits up to 30 s)."),
        actionButton("Ping PC", async () => {
          const id = pc.input.value.trim();
          if (!id) {
            mount(pingEl, errorBox("Enter the PC to ping."));
            return;
          }
          await pingInto(pingEl, id);
        }, { id: "run-ping" }),
        pingEl,
      )]
      : []),
  );
  mount(resultEl, h("p", { class: "empty" }, "Nothing run yet."));

  /** @param {RunBody} body */
  async function execute(body) {
    submit.disabled = true;
    mount(
      status,
      h(
        "p",
        { class: "loading" },
        `Running on ${body.pc_id}; waiting for its answer (up to ${body.timeout_secs + 10} s)…`,
      ),
    );
    mount(resultEl, h("p", { class: "empty" }, "Waiting for the result…"));
    const done = new AbortController();
    const stop = () => done.abort();
    signal.addEventListener("abort", stop, { once: true });
    // The run's own exec id: the agent announces a started run under it (events.started),
    // so its row, and the live output, can be found while the request is still open.
    const execId = crypto.randomUUID();
    void findRunning(execId, done.signal);
    try {
      const r = await api.run({ ...body, job_id: execId }, signal);
      done.abort();
      mount(status);
      const link = h(
        "span",
        { id: "run-result-link-slot", role: "status" },
        "Recording the result…",
      );
      mount(resultEl, resultView(r, link));
      void linkWhenStored(r, link);
    } catch (e) {
      done.abort();
      if (signal.aborted) return;
      mount(status);
      mount(resultEl, errorBox(e, api.statusOf(e) === 408 ? "No result in time:" : "Not run:"));
    } finally {
      signal.removeEventListener("abort", stop);
      submit.disabled = false;
    }
  }

  /**
   * The answer comes straight from the agent, a moment before the results projector has
   * stored it: offer the link to the stored result once the list shows it.
   * @param {any} r
   * @param {HTMLElement} slot
   */
  async function linkWhenStored(r, slot) {
    const id = r.result_id;
    if (!id) {
      slot.textContent = "—";
      return;
    }
    const until = Date.now() + STORED_WAIT_MS;
    while (!signal.aborted) {
      let stored = false;
      try {
        const rows = await api.results({
          pc_id: api.exactRegex(r.pc_id),
          exec_id: r.exec_id ? api.exactRegex(r.exec_id) : "",
          job_id: r.exec_id ? "" : api.exactRegex(ADHOC_JOB),
          limit: 20,
        }, signal);
        stored = (rows ?? []).some((/** @type {any} */ x) => x.result_id === id && x.finished_at);
      } catch { /* keep trying until the deadline */ }
      if (stored || Date.now() > until) {
        mount(
          slot,
          h(
            "a",
            { href: href("/activity/:resultId", { resultId: id }), id: "run-result-link" },
            `Open result ${id.slice(0, 8)}`,
          ),
          stored
            ? null
            : h("span", { class: "muted" }, " (not recorded yet; it may take a moment)"),
        );
        return;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  /**
   * Polls for the in-flight result row so its live view can be opened early.
   * @param {string} execId
   * @param {AbortSignal} stopSignal
   */
  async function findRunning(execId, stopSignal) {
    while (!stopSignal.aborted) {
      await new Promise((r) => setTimeout(r, FIND_RUNNING_MS));
      if (stopSignal.aborted) return;
      try {
        const rows = await api.results({
          exec_id: api.exactRegex(execId),
          status: "running",
          limit: 1,
        }, stopSignal);
        const row = rows?.[0];
        if (row && !stopSignal.aborted) {
          mount(
            resultEl,
            h(
              "p",
              null,
              stateBadge("running"),
              " Still running. ",
              h("a", {
                href: href("/activity/:resultId", { resultId: row.result_id }),
                id: "run-live-link",
              }, "Follow its live output"),
              ". ",
              // No `executions` row exists for a run; the kill route finds it by its exec id.
              writable
                ? actionButton("Stop it", async (btn) => {
                  await api.killExecution(execId);
                  btn.textContent = "Stop sent";
                }, { id: "run-kill", class: "btn btn-danger" })
                : null,
            ),
          );
          return;
        }
      } catch { /* the answer is what counts; this is only a shortcut */ }
    }
  }
}

/** @param {any} r @param {Node | null} link */
function resultView(r, link) {
  const ok = r.exit_code === 0;
  return h(
    "div",
    { class: "run-result" },
    facts([
      ["Status", stateBadge(ok ? "success" : "failure")],
      ["Exit code", h("span", { class: "exit", id: "run-exit" }, String(r.exit_code ?? "—"))],
      ["PC", h("a", { href: href("/agents/:pc", { pc: r.pc_id }) }, r.pc_id)],
      ["Started", fmtTime(r.started_at)],
      ["Duration", fmtDuration(r.started_at, r.finished_at)],
      ["Result", link],
    ]),
    h("h3", null, "stdout"),
    outputBox("run-stdout", "Standard output", r.stdout || "(empty)"),
    h("h3", null, "stderr"),
    outputBox("run-stderr", "Standard error", r.stderr || "(empty)", "stderr"),
    r.stdout_object || r.stderr_object
      ? h(
        "p",
        { class: "note" },
        "The output was too large to inline; open the result for all of it.",
      )
      : null,
    pcLinks(r.pc_id, { except: "run" }),
  );
}
