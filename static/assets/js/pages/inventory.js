// @ts-check
/// <reference lib="dom" />
/**
 * Inventory probes (`/api/inventory/jobs`): each job with an inventory hint, how many PCs
 * reported, its fleet list, and the explode tables it offers for search.
 */
import * as api from "../api.js";
import { h } from "../dom.js";
import { href } from "../routes.js";
import { badge, card, liveSection, pageHeader, table } from "../ui.js";
import { explodeSpecs } from "../inventory_view.js";

export const title = "Inventory";

/**
 * The Probes / Search tab strip of the inventory pages.
 * @param {string} current
 */
export function inventoryTabs(current) {
  return h(
    "nav",
    { class: "tabs", "aria-label": "Inventory views" },
    [["/inventory", "Probes"], ["/inventory/search", "Search"]].map(([to, label]) =>
      h("a", { href: to, "aria-current": to === current ? "page" : undefined }, label)
    ),
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, signal }) {
  const listEl = h("div", { id: "inventory-jobs" });
  main.append(pageHeader("Inventory"), inventoryTabs("/inventory"), card("Probes", listEl));
  liveSection(listEl, {
    signal,
    topics: ["results", "jobs"],
    minGapMs: 5000,
    what: "Loading inventory probes",
    load: (s) => api.inventoryJobs(s),
    render: (jobs) =>
      table({
        caption: "Inventory probes",
        rows: jobs ?? [],
        empty: "No job has an inventory hint yet. Add `inventory:` to a job manifest.",
        columns: [
          {
            label: "Probe",
            cell: (j) =>
              h(
                "a",
                { href: href("/inventory/:manifestId", { manifestId: j.manifest_id }) },
                j.manifest_id,
              ),
          },
          { label: "Description", cell: (j) => j.description ?? "—" },
          { label: "PCs", cell: (j) => j.pc_count ?? 0, class: "num" },
          {
            label: "Searchable",
            cell: (j) => {
              const specs = explodeSpecs(j);
              if (!specs.length) return h("span", { class: "muted" }, "—");
              return h(
                "ul",
                { class: "kv-list" },
                specs.map((s) =>
                  h(
                    "li",
                    null,
                    h("a", {
                      href: `/inventory/search?job=${encodeURIComponent(j.manifest_id)}&field=${
                        encodeURIComponent(s.field)
                      }`,
                      "aria-label": `Search ${s.field} of ${j.manifest_id}`,
                    }, s.field),
                    s.track_history ? badge("history", "info") : null,
                  )
                ),
              );
            },
          },
          {
            label: "Run",
            cell: (j) =>
              h("a", {
                href: `/exec?job=${encodeURIComponent(j.manifest_id)}`,
                "aria-label": `Collect now: ${j.manifest_id}`,
              }, "Collect now"),
          },
        ],
      }),
  });
}
