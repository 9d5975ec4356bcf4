/** Job editor: YAML as written (comments kept by the backend's mirror), errors inline. */
import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { href } from "../routes.js";
import { yamlEditor } from "../editor.js";
import { errorBox, loading, pageHeader, toast } from "../ui.js";

export const title = (p) => (p.id ? `Edit job ${p.id}` : "New job");

export const JOB_TEMPLATE =
  `# A job manifest: registered in the catalog, fired from Exec or a schedule.
id: hello
version: "1.0.0"
description: Say hello
execute:
  shell: powershell
  script: |
    Write-Output "hello from $env:COMPUTERNAME"
  timeout: 60s
`;

export async function render({ main, params, signal, navigate }) {
  const isNew = !params.id;
  main.append(pageHeader(isNew ? "New job" : `Edit job ${params.id}`));
  const body = h("div");
  main.append(body);
  let text = JOB_TEMPLATE;
  if (!isNew) {
    mount(body, loading("Loading the manifest"));
    try {
      text = await api.jobYaml(params.id, signal);
    } catch (e) {
      if (e?.name === "AbortError") return;
      mount(body, errorBox(e), h("p", null, h("a", { href: "/jobs" }, "Back to jobs")));
      return;
    }
  }
  const editor = yamlEditor({ id: "job-yaml", label: "Manifest (YAML)", value: text });
  const saveBtn = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "job-save" },
    "Save job",
  );
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": "Job manifest",
      onsubmit: async (ev) => {
        ev.preventDefault();
        saveBtn.disabled = true;
        editor.showError(null);
        try {
          const r = await api.saveJobYaml(editor.value);
          toast(`Saved ${r?.id ?? "job"} version ${r?.version ?? ""}`, "ok");
          if (r?.id && r.id !== params.id) {
            navigate(href("/jobs/:id", { id: r.id }), { replace: true });
          } else mount(status, h("p", { class: "note" }, `Saved version ${r?.version ?? ""}.`));
        } catch (e) {
          editor.showError(e);
          editor.textarea.focus();
        } finally {
          saveBtn.disabled = false;
        }
      },
    },
    editor.el,
  );
  const status = h("div", { role: "status", id: "job-save-status" });
  form.append(
    status,
    h(
      "div",
      { class: "actions", style: "margin-top:12px" },
      saveBtn,
      isNew ? null : h(
        "a",
        { class: "btn", href: `/exec?job=${encodeURIComponent(params.id)}` },
        "Run this job",
      ),
      h("a", { class: "btn", href: "/jobs" }, "Back to jobs"),
    ),
  );
  mount(body, form);
  if (isNew) editor.textarea.focus();
}
