// @ts-check
/// <reference lib="dom" />
/**
 * One notification: what was sent, to whom, its status, and the ack progress (PCs that
 * confirmed / PCs in the audience) live from the change feed; the per-PC roster, pending
 * first; recall for operators.
 */
import * as api from "../api.js";
import { h } from "../dom.js";
import { href } from "../routes.js";
import { timeCell } from "../views.js";
import { confirmedButton } from "../list_actions.js";
import {
  badge,
  canWrite,
  card,
  facts,
  liveSection,
  pageHeader,
  progressBar,
  table,
  toast,
} from "../ui.js";
import { priorityBadge, statusBadge } from "./notifications.js";

/** @param {Record<string, string>} params */
export const title = (params) => `Notification ${params.id ?? ""}`;

/**
 * "all agents", "group a, group b, PC-1": the addressing intent in words.
 * @param {any} t
 */
export function targetText(t) {
  if (!t) return "—";
  const parts = [
    ...(t.groups ?? []).map((/** @type {string} */ g) => `group ${g}`),
    ...(t.pcs ?? []),
  ];
  return t.all ? ["all agents", ...parts].join(", ") : parts.join(", ") || "—";
}

/** @param {any} d @param {string} id @param {boolean} writable @param {() => void} reload */
function detailView(d, id, writable, reload) {
  const n = d.notification;
  const p = d.progress ?? { acked: 0, audience: 0 };
  return h(
    "div",
    null,
    card(
      "Message",
      h("h2", { class: "notify-title", id: "notify-detail-title" }, n.title),
      h(
        "p",
        { class: "notify-body", id: "notify-detail-body", style: "white-space:pre-wrap" },
        n.body || "—",
      ),
      facts([
        ["Priority", priorityBadge(n.priority)],
        ["Status", h("span", { id: "notify-detail-status" }, statusBadge(d.status))],
        ["Requires ack", n.require_ack ? "yes" : "no"],
        ["Sent", timeCell(n.issued_at)],
        ["Sent by", n.issued_by ?? d.sent_by ?? "—"],
        ["Expires", n.expires_at ? timeCell(n.expires_at) : "never"],
        ["Target", targetText(d.target)],
        d.withdrawn_at
          ? [
            `${d.withdraw_reason === "recalled" ? "Recalled" : "Withdrawn"}`,
            timeCell(d.withdrawn_at),
          ]
          : null,
        d.failed_subjects?.length ? ["Not delivered to", d.failed_subjects.join(", ")] : null,
      ]),
      writable && d.status === "active"
        ? h(
          "div",
          { class: "actions" },
          confirmedButton("Recall", {
            title: `Recall “${n.title}”?`,
            body: "Agents drop it now; PCs that were offline will never see it.",
          }, async () => {
            await api.recallNotification(id);
            toast("Notification recalled", "ok");
            await reload();
          }, { class: "btn btn-danger", id: "notify-recall" }),
        )
        : null,
    ),
    card(
      "Acknowledgements",
      progressBar({
        label: "PCs that acknowledged",
        value: p.acked,
        max: p.audience,
        id: "notify-progress",
      }),
      h(
        "p",
        { class: "hint", id: "notify-progress-text" },
        `${p.acked} of ${p.audience} PC${p.audience === 1 ? "" : "s"} acknowledged`,
      ),
      table({
        caption: "PCs in the audience",
        rows: d.audience ?? [],
        empty: "No alive PC in the audience.",
        columns: [
          {
            label: "PC",
            cell: (a) => h("a", { href: href("/agents/:pc", { pc: a.pc_id }) }, a.pc_id),
          },
          {
            label: "State",
            cell: (a) => a.confirmed ? badge("acknowledged", "ok") : badge("pending", "info"),
          },
          { label: "Acknowledged", cell: (a) => timeCell(a.acked_at) },
        ],
      }),
      d.acks?.length
        ? h(
          "details",
          null,
          h(
            "summary",
            null,
            `${d.acks.length} acknowledgement${d.acks.length === 1 ? "" : "s"} by user`,
          ),
          table({
            caption: "Acknowledgements by user",
            rows: d.acks,
            columns: [
              { label: "PC", cell: (a) => a.pc_id },
              { label: "User", cell: (a) => a.account ?? a.user_sid },
              { label: "When", cell: (a) => timeCell(a.acked_at) },
            ],
          }),
        )
        : null,
    ),
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, params, signal }) {
  const id = params.id ?? "";
  const writable = canWrite();
  const el = h("div", { id: "notification-detail" });
  main.append(
    pageHeader(
      "Notification",
      h("a", { class: "btn", href: "/notifications" }, "All notifications"),
    ),
    el,
  );
  const reload = liveSection(el, {
    signal,
    topics: ["notifications"],
    what: "Loading the notification",
    load: (s) => api.notification(id, s),
    render: (d) => detailView(d, id, writable, () => reload()),
  });
}
