// @ts-check
/// <reference lib="dom" />
/** Executions: every fan-out and scheduler fire, newest first, with progress. */
import * as api from "../api.js";
import { h } from "../dom.js";
import { liveSection, pageHeader } from "../ui.js";
import { executionsTable } from "../views.js";

export const title = "Executions";

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal }) {
  const f = { job_id: query.get("job_id") ?? "", status: query.get("status") ?? "", limit: 50 };
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
          f.job_id = /** @type {HTMLInputElement} */ (job).value.trim();
          f.status = /** @type {HTMLSelectElement} */ (status).value;
          const qs = new URLSearchParams();
          if (f.job_id) qs.set("job_id", f.job_id);
          if (f.status) qs.set("status", f.status);
          history.replaceState(null, "", `/executions${qs.size ? "?" + qs : ""}`);
          void reload();
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
