// @ts-check
/// <reference lib="dom" />
/** Executions: every fan-out and scheduler fire, newest first, with progress. */
import * as api from "../api.js";
import { h } from "../dom.js";
import { liveSection, pageHeader } from "../ui.js";
import { executionsTable } from "../views.js";
import { applyFilters } from "../filter_form.js";

export const title = "Executions";

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal }) {
  /** @type {Record<string, string>} */
  const f = { job_id: query.get("job_id") ?? "", status: query.get("status") ?? "", limit: "50" };
  const listEl = h("div", { id: "executions-list" });
  const job = h("input", {
    type: "text",
    id: "ex-job",
    name: "job_id",
    value: f.job_id,
    autocomplete: "off",
  });
  const status = h(
    "select",
    { id: "ex-status", name: "status" },
    ["", "pending", "running", "completed", "expired"].map((s) =>
      h("option", { value: s, selected: s === f.status }, s || "Any")
    ),
  );
  main.append(
    pageHeader("Executions", h("a", { class: "btn btn-primary", href: "/exec" }, "New execution")),
    h(
      "form",
      {
        class: "card inline-form",
        role: "search",
        "aria-label": "Filter executions",
        onsubmit: (ev) => {
          ev.preventDefault();
          applyFilters(ev.currentTarget, f, { path: "/executions", reload: () => reload() });
        },
      },
      h("div", null, h("label", { for: "ex-job" }, "Job id"), job),
      h("div", null, h("label", { for: "ex-status" }, "Status"), status),
      h("button", { type: "submit", class: "btn" }, "Filter"),
    ),
    listEl,
  );
  const reload = liveSection(listEl, {
    signal,
    topics: ["executions", "results"],
    what: "Loading executions",
    load: (s) => api.executions(f, s),
    render: (rows) => executionsTable(rows ?? []),
  });
}
