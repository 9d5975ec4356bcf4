// @ts-check
/// <reference lib="dom" />
/** Activity: running and finished results with the server-side regex filters. */
import * as api from "../api.js";
import { h, localTimeInput, selectBox } from "../dom.js";
import { liveSection, pageHeader } from "../ui.js";
import { resultsTable } from "../views.js";
import { applyFilters } from "../filter_form.js";

export const title = "Activity";

const FIELDS = [
  ["pc_id", "PC (regex)"],
  ["job_id", "Job (regex)"],
  ["exec_id", "Execution (regex)"],
  ["stdout", "stdout (regex)"],
  ["stderr", "stderr (regex)"],
];

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal }) {
  /** @type {Record<string, string>} */
  const f = {};
  for (const [k] of FIELDS) f[k] = query.get(k) ?? "";
  f.status = query.get("status") ?? "";
  f.limit = query.get("limit") ?? "50";
  f.since = query.get("since") ?? "";
  const listEl = h("div", { id: "results-list" });
  const formErr = h("div");
  const inputs = FIELDS.map(([k, label]) =>
    h(
      "div",
      null,
      h("label", { for: `f-${k}` }, label),
      h("input", {
        type: "text",
        id: `f-${k}`,
        name: k,
        value: f[k],
        autocomplete: "off",
        spellcheck: "false",
      }),
    )
  );
  const status = selectBox({ id: "f-status", name: "status" }, [
    ["", "Any"],
    ["running", "Running"],
    ["success", "Success"],
    ["failure", "Failure"],
  ], f.status);
  const limit = selectBox({ id: "f-limit", name: "limit" }, ["25", "50", "100", "200"], f.limit);
  const form = h(
    "form",
    {
      class: "card",
      role: "search",
      "aria-label": "Filter results",
      onsubmit: (ev) => {
        ev.preventDefault();
        applyFilters(ev.currentTarget, f, {
          path: "/activity",
          defaultLimit: "50",
          reload: () => reload(),
        });
      },
    },
    h(
      "div",
      { class: "form-grid" },
      inputs,
      h("div", null, h("label", { for: "f-status" }, "Status"), status),
      h(
        "div",
        null,
        h("label", { for: "f-since" }, "Since"),
        localTimeInput({ id: "f-since", name: "since" }, f.since),
      ),
      h("div", null, h("label", { for: "f-limit" }, "Rows"), limit),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary", id: "f-apply" }, "Apply filters"),
      h("a", { class: "btn", href: "/activity" }, "Clear"),
    ),
    h(
      "p",
      { class: "hint" },
      "Filters are regular expressions matched by the backend (RE2 syntax: no backtracking blow-ups).",
    ),
    formErr,
  );
  main.append(
    pageHeader("Activity", h("a", { class: "btn", href: "/executions" }, "Executions")),
    form,
    listEl,
  );
  const reload = liveSection(listEl, {
    signal,
    topics: ["results"],
    what: "Loading results",
    load: (s) => api.results(f, s),
    render: (rows) => resultsTable(rows ?? [], { caption: "Results, newest first" }),
  });
}
