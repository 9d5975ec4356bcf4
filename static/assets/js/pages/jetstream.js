// @ts-check
/// <reference lib="dom" />
/**
 * JetStream resources (`/api/jetstream/status`): every stream, KV bucket and object store
 * the backend expects, whether it exists, and how full it is.
 */
import * as api from "../api.js";
import { fmtBytes, h } from "../dom.js";
import { badge, card, liveSection, pageHeader, progressBar, stateBadge, table } from "../ui.js";

export const title = "JetStream";

const REFRESH_MS = 15_000;

/**
 * Totals of a status body: resources, missing ones, bytes and messages held.
 * @param {any} st
 */
export function jetstreamTotals(st) {
  const all = [...(st?.streams ?? []), ...(st?.kv_buckets ?? []), ...(st?.object_stores ?? [])];
  return {
    total: all.length,
    missing: all.filter((r) => !r.exists).map((r) => r.name),
    bytes: all.reduce((n, r) => n + (Number(r.bytes) || 0), 0),
    messages: all.reduce((n, r) => n + (Number(r.messages) || 0), 0),
  };
}

/** @param {string} name @param {any[]} rows */
function section(name, rows) {
  return table({
    caption: name,
    rows: rows ?? [],
    empty: `No ${name.toLowerCase()}.`,
    rowClass: (r) => r.exists ? undefined : "row-failure",
    columns: [
      { label: "Name", cell: (r) => h("code", null, r.name) },
      { label: "State", cell: (r) => stateBadge(r.exists ? "ok" : "failed") },
      { label: "Messages", cell: (r) => Number(r.messages ?? 0).toLocaleString(), class: "num" },
      { label: "Size", cell: (r) => fmtBytes(r.bytes), class: "num" },
      {
        label: "Limit",
        cell: (r) =>
          r.max_bytes
            ? h(
              "div",
              null,
              progressBar({ label: `${r.name} fill`, value: r.bytes, max: r.max_bytes }),
              h("span", { class: "hint" }, `of ${fmtBytes(r.max_bytes)}`),
            )
            : h("span", { class: "muted" }, "no byte limit"),
      },
    ],
  });
}

/** @param {any} st */
function view(st) {
  const t = jetstreamTotals(st);
  return h(
    "div",
    null,
    h(
      "p",
      { id: "js-summary" },
      t.missing.length ? badge(`${t.missing.length} missing`, "fail") : badge("all present", "ok"),
      ` ${
        t.total - t.missing.length
      } of ${t.total} resources exist, holding ${t.messages.toLocaleString()} messages in ${
        fmtBytes(t.bytes)
      }.`,
    ),
    t.missing.length
      ? h(
        "p",
        { class: "error-box" },
        `Missing: ${
          t.missing.join(", ")
        }. The backend creates them at start-up; restart it or check the broker's JetStream limits.`,
      )
      : null,
    card("Streams", section("Streams", st?.streams)),
    card("KV buckets", section("KV buckets", st?.kv_buckets)),
    card("Object stores", section("Object stores", st?.object_stores)),
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, signal }) {
  const el = h("div", { id: "js-status" });
  main.append(
    pageHeader("JetStream"),
    h("p", { class: "hint" }, `Refreshed every ${REFRESH_MS / 1000} s.`),
    el,
  );
  const reload = liveSection(el, {
    signal,
    topics: [],
    what: "Loading JetStream status",
    load: (s) => api.jetstreamStatus(s),
    render: view,
  });
  const timer = setInterval(() => void reload(), REFRESH_MS);
  signal.addEventListener("abort", () => clearInterval(timer));
}
