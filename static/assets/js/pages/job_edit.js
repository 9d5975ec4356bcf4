// @ts-check
/// <reference lib="dom" />
/** Job editor: YAML as written (comments kept by the backend's mirror), errors inline. */
import * as api from "../api.js";
import { h } from "../dom.js";
import { renderYamlPage } from "../yaml_page.js";

/** @param {Record<string, string>} p */
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

/** @param {import("../routes.js").PageContext} ctx */
export function render(ctx) {
  return renderYamlPage(ctx, {
    kind: "job",
    noun: "job",
    listPath: "/jobs",
    detailPath: "/jobs/:id",
    template: JOB_TEMPLATE,
    loadingText: "Loading the manifest",
    editorLabel: "Manifest (YAML)",
    formLabel: "Job manifest",
    load: api.jobYaml,
    save: api.saveJobYaml,
    savedToast: (r) => `Saved ${r?.id ?? "job"} version ${r?.version ?? ""}`,
    savedNote: (r) => `Saved version ${r?.version ?? ""}.`,
    extraActions: (id) => [
      h("a", { class: "btn", href: `/exec?job=${encodeURIComponent(id)}` }, "Run this job"),
    ],
  });
}
