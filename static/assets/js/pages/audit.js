// @ts-check
/// <reference lib="dom" />
/** Audit log with the server-side filters (actor, action, target, payload text, since). */
import * as api from "../api.js";
import { h, localTimeInput, selectBox } from "../dom.js";
import { liveSection, pageHeader } from "../ui.js";
import { auditTable } from "../views.js";
import { applyFilters } from "../filter_form.js";

export const title = "Audit";

const FIELDS = [["actor", "Actor"], ["action", "Action"], ["target", "Target"], [
  "payload",
  "Payload contains",
]];

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal }) {
  /** @type {Record<string, string>} */
  const f = { limit: query.get("limit") ?? "100" };
  for (const [k] of FIELDS) f[k] = query.get(k) ?? "";
  f.since = query.get("since") ?? "";
  const listEl = h("div", { id: "audit-list" });
  const since = localTimeInput({ id: "a-since", name: "since" }, f.since);
  const form = h(
    "form",
    {
      class: "card",
      role: "search",
      "aria-label": "Filter the audit log",
      onsubmit: (ev) => {
        ev.preventDefault();
        applyFilters(ev.currentTarget, f, {
          path: "/audit",
          defaultLimit: "100",
          reload: () => reload(),
        });
      },
    },
    h(
      "div",
      { class: "form-grid" },
      FIELDS.map(([k, label]) =>
        h(
          "div",
          null,
          h("label", { for: `a-${k}` }, label),
          h("input", { type: "text", id: `a-${k}`, name: k, value: f[k], autocomplete: "off" }),
        )
      ),
      h("div", null, h("label", { for: "a-since" }, "Since"), since),
      h(
        "div",
        null,
        h("label", { for: "a-limit" }, "Rows"),
        selectBox({ id: "a-limit", name: "limit" }, ["50", "100", "200", "500"], f.limit),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary", id: "a-apply" }, "Apply filters"),
      h("a", { class: "btn", href: "/audit" }, "Clear"),
    ),
  );
  main.append(pageHeader("Audit"), form, listEl);
  const reload = liveSection(listEl, {
    signal,
    topics: ["audit"],
    what: "Loading the audit log",
    load: (s) => api.audit(f, s),
    render: (rows) => auditTable(rows ?? []),
  });
}
