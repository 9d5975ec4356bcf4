// @ts-check
/// <reference lib="dom" />
/**
 * Exec form: pick a job and a target (all / groups / PCs) and see how many alive PCs it
 * resolves to; optional rollout waves, jitter and a starting deadline. Submitting opens
 * the live execution view.
 */
import * as api from "../api.js";
import { h, mount, parseDurationMs } from "../dom.js";
import { href } from "../routes.js";
import { card, errorBox, loading, pageHeader } from "../ui.js";
import { loadFleet, resolveCount, targetPicker } from "../target_picker.js";

export const title = "Exec";

/** Re-exported for the page's unit tests (the logic lives in target_picker.js). */
export { resolveCount };

/** @param {import("../routes.js").PageContext} ctx */
export async function render({ main, query, signal, navigate }) {
  main.append(pageHeader("Exec"));
  const body = h("div");
  main.append(body);
  mount(body, loading("Loading jobs and fleet"));
  /** @type {any[]} */
  let jobs;
  /** @type {import("../target_picker.js").Fleet} */
  let fleet;
  try {
    [jobs, fleet] = await Promise.all([api.jobs(signal), loadFleet(signal)]);
  } catch (e) {
    if (!api.isAbort(e)) mount(body, errorBox(e));
    return;
  }
  if (!jobs?.length) {
    mount(
      body,
      h(
        "p",
        { class: "empty" },
        "No jobs yet. ",
        h("a", { href: "/jobs/new" }, "Register one first"),
        ".",
      ),
    );
    return;
  }

  const wanted = query.get("job");
  const jobSel = h(
    "select",
    { id: "exec-job", name: "job", required: true },
    jobs.map((j) =>
      h("option", { value: j.id, selected: j.id === wanted }, `${j.id} (v${j.version})`)
    ),
  );
  const picker = targetPicker({
    fleet,
    prefix: "exec",
    radioPrefix: "target",
    initial: { pcs: query.get("pcs") ?? "", groups: query.get("groups") ?? "" },
  });

  const wavesList = h("div", { id: "waves" });
  let waveSeq = 0;
  const addWave = (group = "", delay = "") => {
    const n = ++waveSeq;
    const row = h(
      "div",
      { class: "inline-form wave", style: "margin-bottom:8px" },
      h(
        "div",
        null,
        h("label", { for: `wave-group-${n}` }, "Wave group"),
        h("input", {
          type: "text",
          id: `wave-group-${n}`,
          class: "wave-group",
          value: group,
          list: "group-names",
        }),
      ),
      h(
        "div",
        null,
        h("label", { for: `wave-delay-${n}` }, "Delay"),
        h("input", {
          type: "text",
          id: `wave-delay-${n}`,
          class: "wave-delay",
          value: delay,
          placeholder: "0s, 10m",
        }),
      ),
      h("button", {
        type: "button",
        class: "btn",
        "aria-label": `Remove wave ${n}`,
        onclick: () => {
          row.remove();
          update();
          addWaveBtn.focus();
        },
      }, "Remove"),
    );
    wavesList.append(row);
    row.querySelector("input")?.focus();
    update();
  };
  const addWaveBtn = h("button", {
    type: "button",
    class: "btn",
    id: "add-wave",
    onclick: () => addWave(),
  }, "Add wave");
  const maxFailIn = h("input", {
    type: "text",
    id: "exec-max-failures",
    name: "max_failures",
    placeholder: "e.g. 2 or 10%",
    autocomplete: "off",
    "aria-describedby": "max-failures-hint",
  });
  const jitterIn = h("input", {
    type: "text",
    id: "exec-jitter",
    name: "jitter",
    placeholder: "e.g. 30s",
    autocomplete: "off",
  });
  const deadlineIn = h("input", {
    type: "text",
    id: "exec-deadline",
    name: "deadline",
    placeholder: "e.g. 10m",
    autocomplete: "off",
    "aria-describedby": "deadline-hint",
  });
  const errors = h("div", { id: "exec-errors" });
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "exec-submit" },
    "Execute",
  );

  const target = () => picker.target();
  const waves = () =>
    [...wavesList.querySelectorAll(".wave")].map((w) => ({
      group: /** @type {HTMLInputElement} */ (w.querySelector(".wave-group")).value.trim(),
      delay: /** @type {HTMLInputElement} */ (w.querySelector(".wave-delay")).value.trim() || "0s",
    })).filter((w) => w.group);

  function update() {
    const wv = waves();
    if (!wv.length) return picker.sync();
    // The backend sends waves to their groups only; the target above does not apply.
    const n = resolveCount({ all: false, pcs: [], groups: wv.map((w) => w.group) }, fleet);
    picker.say(
      n === null
        ? "Waves decide the target (their groups); alive count unknown."
        : `Waves decide the target: ${n} alive PC${n === 1 ? "" : "s"} in their groups.`,
    );
  }
  body.addEventListener("input", update);
  body.addEventListener("change", update);

  const form = h(
    "form",
    {
      "aria-label": "Execute a job",
      onsubmit: async (ev) => {
        ev.preventDefault();
        errors.replaceChildren();
        const t = target();
        const wv = waves();
        if (!t.all && !t.groups.length && !t.pcs.length && !wv.length) {
          errors.append(
            errorBox("Choose a target: all agents, at least one group or at least one PC."),
          );
          return;
        }
        /** @type {Record<string, unknown>} */
        const plan = { target: wv.length ? { all: false, groups: [], pcs: [] } : t };
        if (wv.length) {
          /** @type {Record<string, unknown>} */
          const rollout = { strategy: "wave", waves: wv };
          const mf = maxFailIn.value.trim();
          if (mf) rollout.max_failures = /^\d+$/.test(mf) ? Number(mf) : mf;
          plan.rollout = rollout;
        }
        const jitter = jitterIn.value.trim();
        if (jitter) plan.jitter = jitter;
        const deadline = deadlineIn.value.trim();
        if (deadline) {
          const ms = parseDurationMs(deadline);
          if (ms === null) {
            errors.append(errorBox(`“${deadline}” is not a duration (try 10m or 1h).`));
            deadlineIn.focus();
            return;
          }
          plan.deadline_at = new Date(Date.now() + ms).toISOString();
        }
        submit.disabled = true;
        try {
          const jobId = jobSel.value;
          const r = await api.exec(jobId, plan);
          navigate(href("/executions/:execId", { execId: r.exec_id }));
        } catch (e) {
          errors.append(errorBox(e, "Not executed:"));
          /** @type {HTMLElement} */ (errors.firstElementChild)?.focus?.();
        } finally {
          submit.disabled = false;
        }
      },
    },
    card(
      "Job",
      h("div", { class: "form-row" }, h("label", { for: "exec-job" }, "Job"), jobSel),
    ),
    card("Target", ...picker.elements),
    card(
      "Rollout and timing",
      h(
        "p",
        { class: "hint" },
        "Waves fire group by group after their delay (persisted by the backend, so a restart does not lose them).",
      ),
      wavesList,
      h(
        "div",
        { class: "inline-form" },
        addWaveBtn,
        h(
          "div",
          { class: "narrow", style: "flex-basis:180px" },
          h("label", { for: "exec-max-failures" }, "Stop after failures"),
          maxFailIn,
        ),
      ),
      h(
        "p",
        { id: "max-failures-hint", class: "hint" },
        "With waves: later waves are skipped once earlier waves failed this often (count or percent).",
      ),
      h(
        "div",
        { class: "form-grid", style: "margin-top:12px" },
        h("div", null, h("label", { for: "exec-jitter" }, "Jitter"), jitterIn),
        h("div", null, h("label", { for: "exec-deadline" }, "Starting deadline"), deadlineIn),
      ),
      h(
        "p",
        { id: "deadline-hint", class: "hint" },
        "Agents that cannot start before the deadline skip the run (exit 125).",
      ),
    ),
    errors,
    h("div", { class: "actions" }, submit),
  );
  mount(body, form);
  update();
}
