// @ts-check
/// <reference lib="dom" />
/**
 * One probe on one PC: its latest facts (following the display hints) and the change
 * history the backend recorded for it (`/history/pc/{pc}`), filterable by field.
 */
import * as api from "../api.js";
import { fmtTime, h, mount, relTime } from "../dom.js";
import { href } from "../routes.js";
import { badge, card, errorBox, loading, loadInto, pageHeader, table } from "../ui.js";
import { pcLinks } from "../views.js";
import { changeText, decodeHistory, explodeSpecs, factsBlock } from "../inventory_view.js";
import { inventoryTabs } from "./inventory.js";

/** @param {Record<string, string>} p */
export const title = (p) => `${p.manifestId} on ${p.pc}`;

/** @type {Record<string, string>} */
const KIND_BADGE = { added: "ok", removed: "fail", changed: "warn" };

/** @param {any[]} rows @param {string} caption */
export function historyTable(rows, caption) {
  return table({
    caption,
    rows: rows.map(decodeHistory),
    empty: "No recorded changes.",
    columns: [
      {
        label: "When",
        cell: (r) =>
          h(
            "time",
            { datetime: r.observed_at, title: relTime(r.observed_at) },
            fmtTime(r.observed_at),
          ),
      },
      {
        label: "PC",
        cell: (r) =>
          h("a", {
            href: href("/inventory/:manifestId/:pc", { manifestId: r.job_id, pc: r.pc_id }),
          }, r.pc_id),
      },
      { label: "Field", cell: (r) => h("code", null, r.field_path) },
      { label: "Change", cell: (r) => badge(r.change_kind, KIND_BADGE[r.change_kind] ?? "info") },
      { label: "What", cell: (r) => changeText(r) },
    ],
  });
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, params, signal }) {
  const { manifestId: id, pc } = params;
  const factsEl = h("div", { id: "inv-facts" });
  const histEl = h("div", { id: "inv-history" });
  const fieldSel = h(
    "select",
    { id: "inv-hist-field", name: "field" },
    h("option", { value: "" }, "all fields"),
  );
  main.append(
    pageHeader(
      `${id} on ${pc}`,
      h(
        "a",
        { class: "btn", href: href("/inventory/:manifestId", { manifestId: id }) },
        "Whole fleet",
      ),
    ),
    inventoryTabs(""),
    pcLinks(pc),
    card("Facts", factsEl),
    card(
      "Change history",
      h(
        "div",
        { class: "inline-form" },
        h("div", null, h("label", { for: "inv-hist-field" }, "Field"), fieldSel),
      ),
      histEl,
    ),
  );
  void loadInto(factsEl, async () => {
    const rows = await api.inventory(pc, signal);
    return (rows ?? []).find((/** @type {any} */ r) => r.job_id === id) ?? null;
  }, (r) =>
    r
      ? h(
        "div",
        null,
        h(
          "p",
          { class: "hint" },
          `Collected ${fmtTime(r.collected_at)} (${relTime(r.collected_at)}).`,
        ),
        factsBlock(r.facts, r.display, `${id} on ${pc}`),
        h(
          "details",
          null,
          h("summary", null, "Raw facts"),
          h("pre", { class: "output" }, JSON.stringify(r.facts, null, 2)),
        ),
      )
      : h("p", { class: "empty" }, `${pc} has not reported ${id} yet.`), "Loading facts");

  api.inventoryJobs(signal).then((jobs) => {
    const job = (jobs ?? []).find((/** @type {any} */ j) => j.manifest_id === id);
    for (const s of explodeSpecs(job)) fieldSel.append(h("option", { value: s.field }, s.field));
    const scalars = Array.isArray(job?.history_scalars) ? job.history_scalars : [];
    for (const f of scalars) {
      if (typeof f === "string") fieldSel.append(h("option", { value: f }, f));
    }
  }).catch(() => {});

  const loadHistory = async () => {
    mount(histEl, loading("Loading history"));
    try {
      const rows = await api.inventoryHistoryPc(id, pc, {
        field: fieldSel.value,
        limit: 500,
      }, signal);
      mount(histEl, historyTable(rows ?? [], `Changes of ${id} on ${pc}`));
    } catch (e) {
      if (!signal.aborted) mount(histEl, errorBox(e));
    }
  };
  fieldSel.addEventListener("change", () => void loadHistory());
  void loadHistory();
}
