/** Schedule editor: YAML, validated by the API (errors inline). */
import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { href } from "../routes.js";
import { yamlEditor } from "../editor.js";
import { errorBox, loading, pageHeader, toast } from "../ui.js";

export const title = (p) => (p.id ? `Edit schedule ${p.id}` : "New schedule");

export const SCHEDULE_TEMPLATE =
  `# Fires a registered job; see the Schedules docs for every "when" form.
id: hello-hourly
job_id: hello
when:
  per_target:
    every: 1h
target:
  groups: [canary]
enabled: true
`;

export async function render({ main, params, signal, navigate }) {
  const isNew = !params.id;
  main.append(pageHeader(isNew ? "New schedule" : `Edit schedule ${params.id}`));
  const body = h("div");
  main.append(body);
  let text = SCHEDULE_TEMPLATE;
  if (!isNew) {
    mount(body, loading("Loading the schedule"));
    try {
      text = await api.scheduleYaml(params.id, signal);
    } catch (e) {
      if (e?.name === "AbortError") return;
      mount(body, errorBox(e), h("p", null, h("a", { href: "/schedules" }, "Back to schedules")));
      return;
    }
  }
  const editor = yamlEditor({ id: "schedule-yaml", label: "Schedule (YAML)", value: text });
  const status = h("div", { role: "status", id: "schedule-save-status" });
  const saveBtn = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "schedule-save" },
    "Save schedule",
  );
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": "Schedule",
      onsubmit: async (ev) => {
        ev.preventDefault();
        saveBtn.disabled = true;
        editor.showError(null);
        try {
          const r = await api.saveScheduleYaml(editor.value);
          toast(`Saved schedule ${r?.id ?? ""}`, "ok");
          if (r?.id && r.id !== params.id) {
            navigate(href("/schedules/:id", { id: r.id }), { replace: true });
          } else mount(status, h("p", { class: "note" }, "Saved."));
        } catch (e) {
          editor.showError(e);
          editor.textarea.focus();
        } finally {
          saveBtn.disabled = false;
        }
      },
    },
    editor.el,
    status,
    h(
      "div",
      { class: "actions", style: "margin-top:12px" },
      saveBtn,
      h("a", { class: "btn", href: "/schedules" }, "Back to schedules"),
    ),
  );
  mount(body, form);
  if (isNew) editor.textarea.focus();
}
