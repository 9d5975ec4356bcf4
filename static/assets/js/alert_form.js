// @ts-check
/// <reference lib="dom" />
/**
 * The Alerts page's rule form: a new rule (empty) or an edit (filled, the name fixed, the
 * stored secret kept unless replaced or removed). `read()` gives the values the pure
 * `ruleBody` (alerts_view.js) turns into the API body.
 */
import { h } from "./dom.js";
import { EVENTS, formOf } from "./alerts_view.js";

/**
 * @param {any} r the stored rule, or null for a new one
 * @param {{onSubmit: (ev: Event) => unknown, onCancel: () => unknown}} on
 * @returns {{form: HTMLFormElement, read: () => import("./alerts_view.js").RuleForm}}
 */
export function ruleForm(r, on) {
  const f = formOf(r);
  /** @param {string} id @param {string} label @param {Record<string, unknown>} attrs @param {string} [hint] */
  const field = (id, label, attrs, hint) =>
    h(
      "div",
      { class: "form-row" },
      h("label", { for: id }, label),
      h("input", { id, name: id, ...attrs, "aria-describedby": hint ? `${id}-hint` : null }),
      hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    );
  const form = h(
    "form",
    { id: "alert-form", class: "form-grid", onsubmit: on.onSubmit },
    field("alert-name", "Name", {
      type: "text",
      value: f.name,
      required: true,
      readonly: r ? true : null,
      autocomplete: "off",
    }, r ? "A rule's name cannot change." : "1-64 characters: letters, digits, _ and -."),
    field("alert-description", "Description", { type: "text", value: f.description }),
    h(
      "fieldset",
      { class: "form-row span-all" },
      h("legend", null, "Fire on"),
      h(
        "div",
        { class: "radio-row" },
        EVENTS.map((e) =>
          h(
            "div",
            { class: "check" },
            h("input", {
              type: "checkbox",
              id: `alert-ev-${e.value}`,
              name: "alert-event",
              value: e.value,
              checked: f.events.includes(e.value),
            }),
            h("label", { for: `alert-ev-${e.value}` }, e.label),
          )
        ),
      ),
    ),
    field(
      "alert-checks",
      "Only these checks",
      { type: "text", value: f.checks },
      "Comma-separated check names; empty: every check.",
    ),
    h(
      "div",
      { class: "form-row" },
      h("label", { for: "alert-scope-kind" }, "Scope"),
      h(
        "select",
        { id: "alert-scope-kind", name: "alert-scope-kind" },
        [["all", "All PCs"], ["groups", "Members of groups"], ["pcs", "Listed PCs"]].map((
          [v, l],
        ) => h("option", { value: v, selected: v === f.scopeKind }, l)),
      ),
    ),
    field(
      "alert-scope-list",
      "Groups or PCs",
      { type: "text", value: f.scopeList },
      "Comma-separated; used when the scope is groups or PCs.",
    ),
    field("alert-url", "Webhook URL", { type: "url", value: f.url, required: true }),
    field(
      "alert-secret",
      "Signing secret",
      { type: "password", autocomplete: "new-password", value: "" },
      r?.webhook.has_secret
        ? "A secret is stored; leave empty to keep it."
        : "Optional, at least 16 characters: signs each body (X-Kanade-Signature).",
    ),
    r?.webhook.has_secret
      ? h(
        "div",
        { class: "check" },
        h("input", { type: "checkbox", id: "alert-clear-secret", name: "alert-clear-secret" }),
        h("label", { for: "alert-clear-secret" }, "Remove the stored secret"),
      )
      : null,
    field("alert-timeout", "Timeout (ms)", {
      type: "number",
      min: 100,
      max: 30000,
      value: f.timeoutMs,
    }),
    field("alert-attempts", "Attempts at most", {
      type: "number",
      min: 1,
      max: 10,
      value: f.maxAttempts,
    }),
    field("alert-rate-max", "Rate limit: deliveries per PC", {
      type: "number",
      min: 1,
      max: 1000,
      value: f.rateMax,
    }),
    field("alert-rate-secs", "Rate limit window (seconds)", {
      type: "number",
      min: 1,
      max: 604800,
      value: f.ratePerSecs,
    }),
    h(
      "div",
      { class: "check" },
      h("input", {
        type: "checkbox",
        id: "alert-enabled",
        name: "alert-enabled",
        checked: f.enabled,
      }),
      h("label", { for: "alert-enabled" }, "Enabled"),
    ),
    h(
      "div",
      { class: "form-row actions" },
      h(
        "button",
        { type: "submit", class: "btn btn-primary", id: "alert-submit" },
        r ? "Save rule" : "Create rule",
      ),
      r
        ? h("button", {
          type: "button",
          class: "btn",
          id: "alert-cancel",
          onclick: on.onCancel,
        }, "Cancel edit")
        : null,
    ),
  );

  const read = () => {
    /** @param {string} id */
    const val = (id) => /** @type {HTMLInputElement} */ (form.querySelector(`#${id}`)).value;
    /** @param {string} id */
    const checked = (id) =>
      Boolean(/** @type {HTMLInputElement|null} */ (form.querySelector(`#${id}`))?.checked);
    return {
      name: val("alert-name"),
      description: val("alert-description"),
      enabled: checked("alert-enabled"),
      events: EVENTS.map((e) => e.value).filter((v) => checked(`alert-ev-${v}`)),
      checks: val("alert-checks"),
      scopeKind: val("alert-scope-kind"),
      scopeList: val("alert-scope-list"),
      url: val("alert-url"),
      secret: val("alert-secret"),
      clearSecret: checked("alert-clear-secret"),
      timeoutMs: val("alert-timeout"),
      maxAttempts: val("alert-attempts"),
      rateMax: val("alert-rate-max"),
      ratePerSecs: val("alert-rate-secs"),
    };
  };
  return { form, read };
}
