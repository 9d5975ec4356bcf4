// @ts-check
/// <reference lib="dom" />
/** Audit log with the server-side filters (actor, action, target, payload text, since). */
import * as api from "../api.js";
import { h, localTimeInput } from "../dom.js";
import { liveSection, pageHeader } from "../ui.js";
import { auditTable } from "../views.js";

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
        const data = new FormData(/** @type {HTMLFormElement} */ (form));
        const qs = new URLSearchParams();
        for (const [k, v] of data.entries()) {
          let val = String(v).trim();
          if (k === "since" && val) val = new Date(val).toISOString();
          f[k] = val;
          if (val && !(k === "limit" && val === "100")) qs.set(k, val);
        }
        history.replaceState(null, "", `/audit${qs.size ? "?" + qs : ""}`);
        void reload();
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
        h(
          "select",
          { id: "a-limit", name: "limit" },
          ["50", "100", "200", "500"].map((v) =>
            h("option", { value: v, selected: v === f.limit }, v)
          ),
        ),
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
