// @ts-check
/// <reference lib="dom" />
/**
 * Alerts (`/api/alerts`): operator alert rules, each a webhook fired when a check enters
 * fail/warn/unknown or an agent goes offline/comes back, with its delivery counts and the
 * latest delivery; create, edit, enable/disable and delete for operators; one rule's
 * delivery history with attempts and the last error (`/alerts?rule=<name>`, a link to
 * share). Refreshed on the change feed: the engine's `alert` notices (a delivery decided
 * or attempted) and the audit of rule edits.
 */
import * as api from "../api.js";
import { fmtTime, h, relTime } from "../dom.js";
import {
  alertsState,
  alertsUrl,
  countsText,
  eventsText,
  ruleBody,
  scopeText,
  STATUSES,
  toggledBody,
} from "../alerts_view.js";
import { href } from "../routes.js";
import { confirmedButton } from "../list_actions.js";
import { ruleForm } from "../alert_form.js";
import {
  actionButton,
  badge,
  canWrite,
  card,
  errorBox,
  liveSection,
  pageHeader,
  readOnlyNote,
  stateBadge,
  table,
  toast,
} from "../ui.js";

export const title = "Alerts";

/** @param {{main: HTMLElement, query: URLSearchParams, signal: AbortSignal}} ctx */
export function render({ main, query, signal }) {
  const st = alertsState(query);
  const writable = canWrite();
  const listEl = h("div", { id: "alerts-list" });
  const deliveriesEl = h("div", { id: "alert-deliveries" });
  const formCard = h("div", { id: "alert-form-card" });
  /** The rule being edited (null: a new one). @type {any} */
  let editing = null;

  main.append(
    pageHeader("Alerts"),
    h(
      "p",
      { class: "hint" },
      "A rule posts a JSON webhook when a check enters fail, warn or unknown on a PC of its ",
      "scope, or when an agent goes offline or comes back. Only changes fire, at most once each; ",
      "a PC that flaps is held to the rule's rate limit.",
    ),
    ...(writable ? [] : [readOnlyNote("change alert rules")]),
    card("Rules", listEl),
    ...(st.rule ? [deliveriesSection()] : []),
    ...(writable ? [formCard] : []),
  );

  const reload = liveSection(listEl, {
    signal,
    topics: ["alerts", "audit"],
    minGapMs: 1000,
    what: "Loading alert rules",
    load: async (s) => (await api.alertRules(s)).rules,
    render: (rules) =>
      table({
        caption: "Alert rules",
        rows: rules,
        empty: writable
          ? "No alert rules yet. Create one below."
          : "No alert rules yet (an operator creates them).",
        columns: [
          {
            label: "Rule",
            cell: (r) => [
              h("strong", null, r.name),
              r.description ? h("div", { class: "muted" }, r.description) : null,
            ],
          },
          { label: "Fires on", cell: (r) => eventsText(r.events) },
          {
            label: "Scope",
            cell: (r) => [
              scopeText(r.scope),
              r.checks.length
                ? h("div", { class: "muted" }, `checks ${r.checks.join(", ")}`)
                : null,
            ],
          },
          {
            label: "Webhook",
            cell: (r) => [
              h("code", null, r.webhook.url),
              r.webhook.has_secret ? [" ", badge("signed", "info")] : null,
            ],
          },
          { label: "Deliveries", cell: (r) => countsText(r.deliveries) },
          { label: "Last delivery", cell: (r) => lastDelivery(r.last_delivery) },
          { label: "State", cell: (r) => stateBadge(r.enabled ? "enabled" : "disabled") },
          { label: "Actions", cell: (r) => actions(r) },
        ],
      }),
  });

  /** @param {any} d */
  function lastDelivery(d) {
    if (!d) return "—";
    return [
      stateBadge(d.status),
      " ",
      h("time", { datetime: d.updated_at, title: fmtTime(d.updated_at) }, relTime(d.updated_at)),
      d.last_error ? h("div", { class: "muted" }, d.last_error) : null,
    ];
  }

  /** @param {any} r */
  function actions(r) {
    return h(
      "div",
      { class: "actions" },
      h("a", {
        class: "btn btn-sm",
        href: alertsUrl({ rule: r.name }),
        "aria-label": `Deliveries of ${r.name}`,
      }, "Deliveries"),
      writable
        ? [
          actionButton("Edit", () => openForm(r), {
            class: "btn btn-sm",
            "aria-label": `Edit ${r.name}`,
          }),
          actionButton(r.enabled ? "Disable" : "Enable", async () => {
            await api.updateAlertRule(r.name, toggledBody(r, !r.enabled));
            toast(`${r.name} ${r.enabled ? "disabled" : "enabled"}`, "ok");
            await reload();
          }, {
            class: "btn btn-sm",
            "aria-label": `${r.enabled ? "Disable" : "Enable"} ${r.name}`,
          }),
          confirmedButton("Delete", {
            title: `Delete alert rule ${r.name}?`,
            body: "It stops firing at once. Its delivery history stays readable.",
          }, async () => {
            await api.deleteAlertRule(r.name);
            toast(`Alert rule ${r.name} deleted`, "ok");
            if (editing?.name === r.name) openForm(null, false);
            await reload();
          }, { class: "btn btn-sm btn-danger", "aria-label": `Delete ${r.name}` }),
        ]
        : null,
    );
  }

  function deliveriesSection() {
    const statusSel = h(
      "select",
      {
        id: "deliveries-status",
        name: "deliveries-status",
        onchange: () => {
          const url = alertsUrl({ rule: st.rule, status: statusSel.value });
          history.replaceState(null, "", url);
          st.status = statusSel.value;
          void loadDeliveries();
        },
      },
      h("option", { value: "" }, "every status"),
      STATUSES.map((s) => h("option", { value: s, selected: s === st.status }, s)),
    );
    const loadDeliveries = liveSection(deliveriesEl, {
      signal,
      topics: ["alerts", "audit"],
      minGapMs: 1000,
      what: "Loading deliveries",
      load: async (s) =>
        (await api.alertDeliveries(st.rule, { status: st.status || undefined, limit: 200 }, s))
          .deliveries,
      render: (rows) =>
        table({
          caption: `Deliveries of ${st.rule}`,
          rows,
          empty: "No deliveries match.",
          columns: [
            {
              label: "When",
              cell: (d) =>
                h(
                  "time",
                  { datetime: d.created_at, title: fmtTime(d.created_at) },
                  relTime(d.created_at),
                ),
            },
            { label: "Event", cell: (d) => eventsText([d.event]) },
            {
              label: "PC",
              cell: (d) => h("a", { href: href("/agents/:pc", { pc: d.pc_id }) }, d.pc_id),
            },
            { label: "Check", cell: (d) => d.check_name ?? "—" },
            { label: "Status", cell: (d) => stateBadge(d.status) },
            { label: "Attempts", cell: (d) => String(d.attempts) },
            { label: "HTTP", cell: (d) => d.last_status === null ? "—" : String(d.last_status) },
            { label: "Last error", cell: (d) => d.last_error ?? "—" },
          ],
        }),
    });
    return h(
      "section",
      { class: "card", "aria-labelledby": "deliveries-title", id: "deliveries-card" },
      h("h2", { id: "deliveries-title" }, `Deliveries of ${st.rule}`),
      h(
        "div",
        { class: "form-row" },
        h("label", { for: "deliveries-status" }, "Status"),
        statusSel,
      ),
      deliveriesEl,
      h("p", null, h("a", { href: "/alerts" }, "Close deliveries")),
    );
  }

  /**
   * Shows the rule form: empty for a new rule, filled for an edit (focus goes to it).
   * @param {any} r @param {boolean} [focus]
   */
  function openForm(r, focus = true) {
    editing = r;
    const status = h("div", { id: "alert-form-status", "aria-live": "polite" });
    const { form, read } = ruleForm(r, {
      onSubmit: (ev) => submit(ev),
      onCancel: () => openForm(null),
    });
    formCard.replaceChildren(card(r ? `Edit rule ${r.name}` : "New rule", form, status));
    if (focus) {
      /** @type {HTMLElement} */ (form.querySelector(r ? "#alert-description" : "#alert-name"))
        ?.focus();
    }

    /** @param {Event} ev */
    async function submit(ev) {
      ev.preventDefault();
      const got = ruleBody(read(), Boolean(r));
      status.replaceChildren();
      if ("error" in got) {
        status.append(errorBox(got.error));
        return;
      }
      try {
        if (r) await api.updateAlertRule(r.name, got.body);
        else await api.createAlertRule(got.body);
        toast(`Alert rule ${got.body.name} ${r ? "saved" : "created"}`, "ok");
        openForm(null, false);
        await reload();
      } catch (e) {
        status.append(errorBox(e));
      }
    }
  }

  if (writable) openForm(null, false);
}
