// @ts-check
/// <reference lib="dom" />
/**
 * Compliance (`/api/checks`): one card per check with its counts (fail, warn, unknown,
 * stale, ok) and the PCs that need attention, worst first; a card's ok PCs on demand;
 * Clear for operators. The change feed's check notices refresh it live.
 */
import * as api from "../api.js";
import { h } from "../dom.js";
import { canWrite, liveSection, pageHeader, readOnlyNote } from "../ui.js";
import { checkCards, checkRowsTable, clearButton, countLine } from "../checks_view.js";

export const title = "Compliance";

/** At most this many ok PCs per card (a check a whole fleet passes is 100k rows). */
export const OK_LIMIT = 1000;

/**
 * The note under a card whose ok list is cut short, or "" when every ok PC is listed.
 * @param {number} okCount the card's ok count @param {number} shown ok rows listed
 */
export function okShownNote(okCount, shown) {
  return shown < okCount
    ? `Showing ${shown} of ${okCount} ok PCs (the first by PC id); each agent page lists its own checks.`
    : "";
}

/**
 * Page state from the URL: `check` narrows the page to one check.
 * @param {URLSearchParams} q
 */
export function complianceState(q) {
  return { check: (q.get("check") ?? "").trim() };
}

/** @param {{check: string}} st */
export function complianceUrl(st) {
  return st.check ? `/compliance?check=${encodeURIComponent(st.check)}` : "/compliance";
}

/**
 * An id fragment from a check name (names are slugs, but ids must never break).
 * @param {string} name
 */
export function slug(name) {
  return name.replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * The summary line over all cards.
 * @param {import("../checks_view.js").ChecksView} view
 */
export function summaryText(view) {
  const n = view.counts.length;
  if (!n) return "";
  /** @param {"ok"|"warn"|"fail"|"unknown"|"stale"} k */
  const sum = (k) => view.counts.reduce((a, c) => a + Number(c[k] ?? 0), 0);
  const attention = sum("fail") + sum("warn") + sum("unknown");
  const stale = view.stale_days > 0
    ? ` A status older than ${view.stale_days} days is stale and counted apart.`
    : " Stale marking is off.";
  return `${n} ${n === 1 ? "check" : "checks"}, ${attention} ${
    attention === 1 ? "result needs" : "results need"
  } attention, ${sum("stale")} stale.${stale}`;
}

/**
 * @param {{main: HTMLElement, query: URLSearchParams, signal: AbortSignal}} ctx
 */
export function render({ main, query, signal }) {
  const st = complianceState(query);
  const writable = canWrite();
  /** Checks whose ok PCs are shown too (each fetched with include_ok). */
  const showOk = new Set();
  const summary = h("p", { class: "muted", id: "compliance-summary", role: "status" });
  const listEl = h("div", { id: "compliance-list" });

  main.append(
    pageHeader(
      st.check ? `Compliance: ${st.check}` : "Compliance",
      ...(st.check ? [h("a", { class: "btn", href: "/compliance" }, "All checks")] : []),
    ),
    h(
      "p",
      { class: "hint" },
      "Jobs with a check: hint report ok, warn or fail per PC; a script that exits non-zero ",
      "reports unknown. Schedule such a job to keep the picture current.",
    ),
    ...(writable ? [] : [readOnlyNote("clear check results")]),
    summary,
    listEl,
  );

  const reload = liveSection(listEl, {
    signal,
    topics: ["checks"],
    minGapMs: 1500,
    what: "Loading checks",
    load: async (s) => {
      const check = st.check || undefined;
      const view = await api.checks({ check }, s);
      /** @type {Map<string, any[]>} */
      const withOk = new Map();
      await Promise.all(
        [...showOk].filter((c) => !check || c === check).map(async (c) => {
          const all = await api.checks({ check: c, include_ok: true, limit: OK_LIMIT }, s);
          withOk.set(c, all.rows);
        }),
      );
      return { view, withOk };
    },
    render: ({ view, withOk }) => {
      summary.textContent = summaryText(view);
      if (!view.counts.length) {
        return h(
          "p",
          { class: "empty" },
          st.check
            ? `No PC has reported the check ${st.check}.`
            : "No check results yet. Register a job with a check: hint and run it.",
        );
      }
      return [
        view.truncated
          ? h("p", { class: "note" }, "More rows matched than one page holds; counts are complete.")
          : null,
        checkCards(view, withOk).map((c) => checkCard(c)),
      ];
    },
  });

  /** @param {ReturnType<typeof checkCards>[number]} c */
  function checkCard(c) {
    const id = slug(c.check_name);
    const titleId = `check-${id}-title`;
    const okBtn = c.counts.ok > 0
      ? h("button", {
        type: "button",
        class: "btn btn-sm",
        id: `show-ok-${id}`,
        "aria-pressed": String(c.showingOk),
        "aria-describedby": titleId,
        onclick: () => {
          if (showOk.has(c.check_name)) showOk.delete(c.check_name);
          else showOk.add(c.check_name);
          void reload();
        },
      }, `Show ok PCs (${c.counts.ok})`)
      : null;
    /**
     * After a Clear the cleared row (or card) is gone, and the keyboard focus with it: land
     * on the card's next Clear button, else its heading link, else the page heading.
     */
    const clearDone = async () => {
      await reload();
      if (document.activeElement && document.activeElement !== document.body) return;
      const next = document.querySelector(`#check-${id} tbody button`) ??
        document.querySelector(`#check-${id}-title a`) ?? document.getElementById("page-title");
      if (next instanceof HTMLElement) next.focus();
    };
    const clear = writable
      ? clearButton(c.check_name, null, clearDone, { id: `clear-${id}` })
      : null;
    return h(
      "section",
      { class: "card", id: `check-${id}`, "aria-labelledby": titleId },
      h(
        "h2",
        { id: titleId },
        // The heading opens the check alone (a link others can be sent).
        st.check ? c.title : h("a", { href: complianceUrl({ check: c.check_name }) }, c.title),
        c.title !== c.check_name ? h("span", { class: "muted" }, ` · ${c.check_name}`) : null,
      ),
      countLine(c.counts),
      okBtn || clear ? h("div", { class: "actions check-actions" }, okBtn, clear) : null,
      c.showingOk && okShownNote(c.counts.ok, c.okShown)
        ? h("p", { class: "note" }, okShownNote(c.counts.ok, c.okShown))
        : null,
      checkRowsTable(c.rows, {
        caption: `PCs of ${c.title}`,
        by: "pc",
        empty: c.showingOk ? "No PC reported this check." : "No PC needs attention.",
        onClear: writable ? clearDone : null,
      }),
    );
  }
}
