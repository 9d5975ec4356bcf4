// @ts-check
/// <reference lib="dom" />
/**
 * One probe across the fleet (`/api/inventory/by-job/{id}`): a row per PC with the job's
 * scalar display fields, paged on the server, filtered by PC in the page.
 */
import * as api from "../api.js";
import { h, mount, relTime, searchInput } from "../dom.js";
import { href } from "../routes.js";
import { card, liveSection, pageHeader, table } from "../ui.js";
import { fmtFact, scalarFields } from "../inventory_view.js";
import { inventoryTabs } from "./inventory.js";

/** @param {Record<string, string>} p */
export const title = (p) => `Inventory ${p.manifestId}`;
const PAGE = 100;

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, params, query, signal }) {
  const id = params.manifestId;
  let offset = Math.max(0, Number(query.get("offset") ?? 0) || 0);
  const listEl = h("div", { id: "inventory-fleet" });
  const summary = h("p", { class: "muted", role: "status", id: "inventory-fleet-summary" });
  const filter = searchInput("inv-pc-filter", "pc", "PC id");
  /** @type {any} */
  let last = null;
  filter.addEventListener("input", () => last && mount(listEl, draw(last)));
  /** @param {any} r */
  const draw = (r) => {
    last = r;
    const n = filter.value.trim().toLowerCase();
    const rows = (r.rows ?? []).filter((/** @type {any} */ x) =>
      !n || x.pc_id.toLowerCase().includes(n)
    );
    const fields = scalarFields(r.display);
    summary.textContent = r.total
      ? `${offset + 1}–${offset + (r.rows ?? []).length} of ${r.total} PCs`
      : "No PC has reported this probe yet.";
    return [
      table({
        caption: `Inventory ${id} by PC`,
        rows,
        empty: r.total ? "No PC on this page matches." : "Nothing collected yet.",
        columns: [
          {
            label: "PC",
            cell: (x) =>
              h(
                "a",
                { href: href("/inventory/:manifestId/:pc", { manifestId: id, pc: x.pc_id }) },
                x.pc_id,
              ),
          },
          ...fields.slice(0, 8).map((d) => ({
            label: d.label ?? d.field,
            cell: (/** @type {any} */ x) => fmtFact(x.facts?.[d.field], d.type),
          })),
          { label: "Collected", cell: (x) => relTime(x.collected_at) },
        ],
      }),
      h(
        "nav",
        { class: "pager", "aria-label": "Inventory pages" },
        h("button", {
          type: "button",
          class: "btn",
          id: "inv-prev",
          disabled: offset === 0,
          onclick: () => {
            offset = Math.max(0, offset - PAGE);
            void reload();
          },
        }, "← Previous"),
        h("button", {
          type: "button",
          class: "btn",
          id: "inv-next",
          disabled: offset + PAGE >= (r.total ?? 0),
          onclick: () => {
            offset += PAGE;
            void reload();
          },
        }, "Next →"),
      ),
    ];
  };
  main.append(
    pageHeader(
      `Inventory ${id}`,
      h("a", { class: "btn", href: `/exec?job=${encodeURIComponent(id)}` }, "Collect now"),
    ),
    inventoryTabs(""),
    card(
      "Fleet",
      h(
        "div",
        { class: "inline-form", role: "search", style: "margin-bottom:12px" },
        h("div", null, h("label", { for: "inv-pc-filter" }, "Filter PCs on this page"), filter),
      ),
      summary,
      listEl,
    ),
  );
  const reload = liveSection(listEl, {
    signal,
    topics: ["results"],
    minGapMs: 5000,
    what: "Loading the fleet list",
    load: (s) => api.inventoryByJob(id, { limit: PAGE, offset }, s),
    render: draw,
  });
}
