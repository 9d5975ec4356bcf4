// @ts-check
/// <reference lib="dom" />
/**
 * Compliance check views shared by the Compliance page and the agent page: status badges,
 * the per-check count line, the rows table with its Clear buttons, and the pure ordering
 * and grouping logic behind them (unit-tested under Deno).
 */
import * as api from "./api.js";
import { fmtTime, h, relTime } from "./dom.js";
import { confirmedButton } from "./list_actions.js";
import { href } from "./routes.js";
import { badge, table, toast } from "./ui.js";

/**
 * @typedef {{pc_id: string, check_name: string, label: string|null, status: string,
 *   detail: string|null, recorded_at: string|null, stale: boolean}} CheckRow
 * @typedef {{check_name: string, label: string|null, ok: number, warn: number, fail: number,
 *   unknown: number, stale: number}} CheckCounts
 * @typedef {{counts: CheckCounts[], rows: CheckRow[], stale_days: number, truncated: boolean}}
 *   ChecksView
 */

/** The order of a card's counts: what needs attention first, stale before ok. */
export const COUNT_KINDS = /** @type {const} */ (["fail", "warn", "unknown", "stale", "ok"]);

/**
 * Badge colour of a stored status: the three statuses a check script may report, anything
 * else is "unknown" (the projector stores it as such).
 * @param {string} status
 * @returns {"ok"|"warn"|"fail"|"info"}
 */
export function statusKind(status) {
  return status === "ok" || status === "warn" || status === "fail" ? status : "info";
}

/**
 * Sort rank of a row: fresh fail, warn, unknown, then stale rows (whatever they said last,
 * they are not current), then ok.
 * @param {CheckRow} r
 */
export function rowRank(r) {
  if (r.stale) return 3;
  return { fail: 0, warn: 1, ok: 4 }[r.status] ?? 2;
}

/** @param {CheckRow} a @param {CheckRow} b */
function byRank(a, b) {
  return rowRank(a) - rowRank(b) || (a.pc_id < b.pc_id ? -1 : a.pc_id > b.pc_id ? 1 : 0);
}

/**
 * One card per check of `counts` (the API's order), each with its rows worst first. For a
 * check in `withOk` its ok PCs (from its own `include_ok` answer, which may be cut at a
 * limit) join the rows that need attention; those always come from the main answer, so a
 * cut ok list never hides a failing PC.
 * @param {ChecksView} view
 * @param {Map<string, CheckRow[]>} [withOk]
 * @returns {{check_name: string, title: string, counts: CheckCounts, rows: CheckRow[],
 *   showingOk: boolean, okShown: number}[]}
 */
export function checkCards(view, withOk = new Map()) {
  return view.counts.map((c) => {
    const own = withOk.get(c.check_name);
    const attention = view.rows.filter((r) => r.check_name === c.check_name);
    const listed = new Set(attention.map((r) => r.pc_id));
    const ok = (own ?? []).filter((r) => rowRank(r) === 4 && !listed.has(r.pc_id));
    return {
      check_name: c.check_name,
      title: c.label || c.check_name,
      counts: c,
      rows: [...attention, ...ok].sort(byRank),
      showingOk: own !== undefined,
      okShown: ok.length,
    };
  });
}

/**
 * The count line of a check: every kind, in COUNT_KINDS order; zero counts are muted.
 * @param {CheckCounts} c
 * @returns {{kind: string, n: number, badge: "ok"|"warn"|"fail"|"info"|"muted"}[]}
 */
export function countParts(c) {
  return COUNT_KINDS.map((kind) => ({
    kind,
    n: Number(c[kind] ?? 0),
    badge: !c[kind] ? "muted" : kind === "stale" ? "muted" : statusKind(kind),
  }));
}

/** @param {CheckCounts} c */
export function countLine(c) {
  return h(
    "ul",
    { class: "kv-list", "aria-label": `Counts of ${c.label || c.check_name}` },
    countParts(c).map((p) => h("li", null, badge(`${p.n} ${p.kind}`, p.badge))),
  );
}

/** A status badge, with a "stale" one next to it when the row is out of date. @param {CheckRow} r */
export function statusCell(r) {
  return h(
    "span",
    { class: "actions" },
    badge(r.status, statusKind(r.status)),
    r.stale ? badge("stale", "muted") : null,
  );
}

/** @param {string|null} ts */
const timeCell = (ts) =>
  ts ? h("time", { datetime: ts, title: fmtTime(ts) }, relTime(ts)) : h("span", null, "—");

/**
 * The toast after a Clear: `deleted` 0 is worth saying (nothing was stored).
 * @param {number} deleted @param {string} what
 */
export function clearMessage(deleted, what) {
  return deleted === 0
    ? `Nothing stored for ${what}: nothing to clear.`
    : `Cleared ${what} (${deleted} ${deleted === 1 ? "row" : "rows"}).`;
}

/**
 * The Clear button of a whole check or of one PC's row (operator role; the caller leaves
 * it out otherwise): a danger dialog, DELETE, a toast, then `done()` (a reload).
 * @param {string} checkName
 * @param {string|null} pcId
 * @param {() => unknown} done
 * @param {Record<string, unknown>} [attrs]
 */
export function clearButton(checkName, pcId, done, attrs = {}) {
  const what = pcId ? `${checkName} on ${pcId}` : `${checkName} on every PC`;
  const label = pcId ? "Clear" : "Clear check";
  return confirmedButton(
    label,
    {
      title: `Clear ${what}?`,
      body: "The stored status is forgotten. A PC that runs the check again records it anew.",
    },
    async () => {
      const r = await api.clearCheck(checkName, pcId ?? undefined);
      toast(clearMessage(Number(r?.deleted ?? 0), what), r?.deleted ? "ok" : "info");
      await done();
    },
    { class: "btn btn-sm btn-danger", "aria-label": `${label} ${what}`, ...attrs },
  );
}

/** @param {{detail: string|null}} r */
const detailCell = (r) =>
  r.detail ? h("span", { class: "preview" }, r.detail) : h("span", null, "—");

/** A check's name, linked to its Compliance card. @param {{check_name: string, label: string|null}} r */
const checkLink = (r) =>
  h(
    "a",
    { href: `/compliance?check=${encodeURIComponent(r.check_name)}` },
    r.label || r.check_name,
  );

/**
 * Status changes of checks, newest first (`/api/checks/transitions`): the first report of
 * a check on a PC has no "from".
 * @param {{pc_id: string, check_name: string, label: string|null, from_status: string|null,
 *   to_status: string, detail: string|null, recorded_at: string|null}[]} rows
 * @param {string} caption
 */
export function transitionsTable(rows, caption) {
  return table({
    caption,
    rows,
    empty: "No status change recorded.",
    columns: [
      { label: "Check", cell: checkLink },
      {
        label: "Change",
        cell: (r) =>
          h(
            "span",
            { class: "actions" },
            r.from_status ? badge(r.from_status, statusKind(r.from_status)) : "first report",
            " → ",
            badge(r.to_status, statusKind(r.to_status)),
          ),
      },
      { label: "Detail", cell: detailCell },
      { label: "When", cell: (r) => timeCell(r.recorded_at) },
    ],
  });
}

/**
 * The rows of checks as a table. `by: "pc"` (the Compliance page) names the PC of each
 * row; `by: "check"` (the agent page) names the check, linked to its card.
 * @param {CheckRow[]} rows
 * @param {{caption: string, by: "pc"|"check", empty?: string,
 *   onClear?: (() => unknown) | null}} o
 */
export function checkRowsTable(rows, o) {
  /** @type {{label: string, cell: (r: CheckRow) => any, class?: string}[]} */
  const columns = [
    o.by === "pc"
      ? {
        label: "PC",
        cell: (r) => h("a", { href: href("/agents/:pc", { pc: r.pc_id }) }, r.pc_id),
      }
      : { label: "Check", cell: checkLink },
    { label: "Status", cell: statusCell },
    { label: "Detail", cell: detailCell },
    { label: "Recorded", cell: (r) => timeCell(r.recorded_at) },
  ];
  const onClear = o.onClear;
  if (onClear) {
    columns.push({
      label: "Actions",
      cell: (r) => clearButton(r.check_name, r.pc_id, onClear),
    });
  }
  return table({ caption: o.caption, rows, columns, empty: o.empty });
}
