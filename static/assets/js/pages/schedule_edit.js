// @ts-check
/// <reference lib="dom" />
/** Schedule editor: YAML, validated by the API (errors inline). */
import * as api from "../api.js";
import { renderYamlPage } from "../yaml_page.js";

/** @param {Record<string, string>} p */
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

/** @param {import("../routes.js").PageContext} ctx */
export function render(ctx) {
  return renderYamlPage(ctx, {
    kind: "schedule",
    noun: "schedule",
    listPath: "/schedules",
    detailPath: "/schedules/:id",
    template: SCHEDULE_TEMPLATE,
    loadingText: "Loading the schedule",
    editorLabel: "Schedule (YAML)",
    formLabel: "Schedule",
    load: api.scheduleYaml,
    save: api.saveScheduleYaml,
    savedToast: (r) => `Saved schedule ${r?.id ?? ""}`,
    savedNote: () => "Saved.",
  });
}
