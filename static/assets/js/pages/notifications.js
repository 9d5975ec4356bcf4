// @ts-check
/// <reference lib="dom" />
/**
 * End-user notifications: compose one (priority, require-ack, expiry, the Exec page's
 * target picker) and the sent history, newest first, with its status and how many PCs
 * confirmed. Each row opens the live detail page.
 */
import * as api from "../api.js";
import { fmtTime, h, localTimeInput, mount, relTime, selectBox } from "../dom.js";
import { href } from "../routes.js";
import {
  badge,
  canWrite,
  card,
  errorBox,
  liveSection,
  loading,
  pageHeader,
  readOnlyNote,
  table,
  toast,
} from "../ui.js";
import { loadFleet, targetPicker } from "../target_picker.js";

export const title = "Notifications";

const PAGE = 50;

/**
 * Badge kind of a priority and of a status.
 * @param {string} p
 */
export function priorityBadge(p) {
  return badge(p, p === "emergency" ? "fail" : p === "warn" ? "warn" : "info");
}
/** @param {string} s */
export function statusBadge(s) {
  return badge(s, s === "active" ? "ok" : s === "recalled" ? "fail" : "info");
}

/**
 * The publish body from the form values, or an error message (checked before sending, with
 * the backend's own rules and words).
 * @param {{title: string, body: string, priority: string, requireAck: boolean,
 *   toast: boolean, expires: string, target: {all: boolean, groups: string[], pcs: string[]}}} f
 * @param {number} [now]
 * @returns {{body: Record<string, unknown>} | {error: string}}
 */
export function notificationBody(f, now = Date.now()) {
  if (!f.target.all && !f.target.groups.length && !f.target.pcs.length) {
    return { error: "Choose a target: all agents, at least one group or at least one PC." };
  }
  if (!f.title.trim()) return { error: "title must not be empty" };
  /** @type {Record<string, unknown>} */
  const body = {
    priority: ["info", "warn", "emergency"].includes(f.priority) ? f.priority : "info",
    require_ack: f.requireAck,
    toast: f.toast,
    title: f.title.trim(),
    body: f.body,
    target: f.target,
  };
  if (f.expires) {
    const at = new Date(f.expires);
    if (Number.isNaN(at.getTime())) return { error: "The expiry is not a date and time." };
    if (at.getTime() <= now) return { error: "expires_at must be in the future" };
    body.expires_at = at.toISOString();
  }
  return { body };
}

/** @param {{rows: any[], total: number}} page */
function historyView(page) {
  return h(
    "div",
    null,
    table({
      caption: "Sent notifications",
      rows: page.rows,
      empty: "No notification sent yet.",
      columns: [
        {
          label: "Title",
          cell: (n) => h("a", { href: href("/notifications/:id", { id: n.id }) }, n.title),
        },
        { label: "Priority", cell: (n) => priorityBadge(n.priority) },
        { label: "Status", cell: (n) => statusBadge(n.status) },
        {
          label: "Sent",
          cell: (n) =>
            h("time", { datetime: n.issued_at, title: fmtTime(n.issued_at) }, relTime(n.issued_at)),
        },
        {
          label: "Target",
          cell: (n) =>
            n.target?.all ? "all agents" : [
              ...(n.target?.groups ?? []).map((/** @type {string} */ g) => `group ${g}`),
              ...(n.target?.pcs ?? []),
            ]
              .join(", "),
        },
        { label: "Acked PCs", cell: (n) => String(n.acked_pcs ?? 0), class: "num" },
      ],
    }),
    h(
      "p",
      { class: "hint" },
      `${page.total} notification${page.total === 1 ? "" : "s"} in the history.`,
    ),
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export async function render({ main, signal, navigate }) {
  main.append(pageHeader("Notifications"));
  const composeEl = h("div", { id: "notify-compose" });
  const listEl = h("div", { id: "notifications-list" });
  main.append(composeEl, card("History", listEl));
  liveSection(listEl, {
    signal,
    topics: ["notifications"],
    what: "Loading notifications",
    load: (s) => api.notifications({ limit: PAGE }, s),
    render: historyView,
  });
  if (!canWrite()) {
    mount(composeEl, card("Send", readOnlyNote("send notifications")));
    return;
  }
  mount(composeEl, loading("Loading the fleet"));
  let fleet;
  try {
    fleet = await loadFleet(signal);
  } catch (e) {
    if (!api.isAbort(e)) mount(composeEl, errorBox(e));
    return;
  }
  mount(composeEl, composeForm(fleet, navigate));
}

/** @param {import("../target_picker.js").Fleet} fleet @param {import("../routes.js").PageContext["navigate"]} navigate */
function composeForm(fleet, navigate) {
  const picker = targetPicker({ fleet, prefix: "notify" });
  const titleIn = h("input", {
    type: "text",
    id: "notify-title",
    name: "title",
    required: true,
    maxlength: "1024",
    autocomplete: "off",
  });
  const bodyIn = h("textarea", { id: "notify-body", name: "body", rows: "4" });
  const priority = selectBox({ id: "notify-priority", name: "priority" }, [["info", "Info"], [
    "warn",
    "Warning",
  ], ["emergency", "Emergency"]]);
  /** @param {string} id @param {string} label */
  const check = (id, label) =>
    h(
      "div",
      { class: "check" },
      h("input", { type: "checkbox", id, name: id }),
      h("label", { for: id }, label),
    );
  const requireAck = check("notify-require-ack", "Users must acknowledge it");
  const toastBox = check("notify-toast", "Also show a system toast");
  const expires = localTimeInput({ id: "notify-expires", name: "expires_at" }, "");
  const status = h("div", { id: "notify-status", role: "status" });
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "notify-submit" },
    "Send",
  );
  /** @param {HTMLElement} el */
  const checked = (el) => /** @type {HTMLInputElement} */ (el.querySelector("input")).checked;
  const form = h(
    "form",
    {
      "aria-label": "Send a notification",
      onsubmit: async (ev) => {
        ev.preventDefault();
        const b = notificationBody({
          title: titleIn.value,
          body: bodyIn.value,
          priority: priority.value,
          requireAck: checked(requireAck),
          toast: checked(toastBox),
          expires: expires.value,
          target: picker.target(),
        });
        if ("error" in b) {
          mount(status, errorBox(b.error));
          return;
        }
        submit.disabled = true;
        try {
          const r = await api.sendNotification(b.body);
          toast(
            `Notification sent to ${r.subjects.length} subject${
              r.subjects.length === 1 ? "" : "s"
            }`,
            "ok",
          );
          navigate(href("/notifications/:id", { id: r.id }));
        } catch (e) {
          mount(status, errorBox(e, "Not sent:"));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("div", { class: "form-row" }, h("label", { for: "notify-title" }, "Title"), titleIn),
    h("div", { class: "form-row" }, h("label", { for: "notify-body" }, "Message"), bodyIn),
    h(
      "div",
      { class: "form-grid" },
      h("div", null, h("label", { for: "notify-priority" }, "Priority"), priority),
      h("div", null, h("label", { for: "notify-expires" }, "Expires (optional)"), expires),
    ),
    requireAck,
    toastBox,
    ...picker.elements,
    status,
    h("div", { class: "actions" }, submit),
  );
  picker.sync();
  return card("Send a notification", form);
}
