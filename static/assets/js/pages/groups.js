// @ts-check
/// <reference lib="dom" />
/**
 * Group membership across the fleet (`/api/groups`): each group with its PCs, whether it
 * has a config scope, and (for operators) adding a PC to a group or removing one.
 */
import * as api from "../api.js";
import { h, mount, searchInput } from "../dom.js";
import { href } from "../routes.js";
import {
  badge,
  canWrite,
  card,
  errorBox,
  liveSection,
  pageHeader,
  readOnlyNote,
  table,
  toast,
} from "../ui.js";
import { pcField } from "../views.js";

export const title = "Groups";

const GROUP_RE = /^[A-Za-z0-9_-]+$/;
/** Members listed per group before "Show all" (a group may hold thousands of PCs). */
const MEMBERS_SHOWN = 40;

/**
 * Groups whose name or a member contains `needle` (case-insensitive), by name.
 * @param {{name: string, members?: string[]}[]} groups
 * @param {string} needle
 */
export function filterGroups(groups, needle) {
  const n = String(needle ?? "").trim().toLowerCase();
  const sorted = [...groups].sort((a, b) => a.name.localeCompare(b.name));
  if (!n) return sorted;
  return sorted.filter((g) =>
    g.name.toLowerCase().includes(n) || (g.members ?? []).some((m) => m.toLowerCase().includes(n))
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal }) {
  const writable = canWrite();
  const listEl = h("div", { id: "groups-list" });
  const status = h("div", { id: "groups-status", role: "status" });
  const filter = searchInput("groups-filter", "q", "group or PC", query.get("q") ?? "");
  const groupIn = h("input", {
    type: "text",
    id: "groups-add-name",
    name: "group",
    list: "groups-names",
    autocomplete: "off",
    pattern: "[A-Za-z0-9_\\-]+",
    title: "letters, digits, - and _",
  });
  const names = h("datalist", { id: "groups-names" });
  const pc = pcField({ id: "groups-add-pc", label: "PC", signal });
  /** @type {any[]} */
  let last = [];
  /** Groups whose whole member list the user asked to see. */
  const expanded = new Set();

  const addForm = h(
    "form",
    {
      class: "inline-form",
      "aria-label": "Add a PC to a group",
      onsubmit: async (ev) => {
        ev.preventDefault();
        const g = groupIn.value.trim();
        const id = pc.input.value.trim();
        if (!GROUP_RE.test(g)) {
          mount(status, errorBox("A group name may hold letters, digits, - and _ only."));
          return;
        }
        if (!id) {
          mount(status, errorBox("Enter the PC to add."));
          return;
        }
        try {
          await api.addAgentGroup(id, g);
          mount(status);
          toast(`${id} added to ${g}`, "ok");
          pc.input.value = "";
          await reload();
        } catch (e) {
          mount(status, errorBox(e, "Not added:"));
        }
      },
    },
    h("div", null, h("label", { for: "groups-add-name" }, "Group"), groupIn, names),
    pc.row,
    h("button", { type: "submit", class: "btn btn-primary", id: "groups-add" }, "Add to group"),
  );

  /**
   * Member chips of one group, each a link with (for operators) a remove button.
   * @param {any} g
   * @param {string[]} members
   */
  const memberChips = (g, members) =>
    h(
      "ul",
      { class: "chips", "aria-label": `Members of ${g.name}` },
      members.map((/** @type {string} */ m) =>
        h(
          "li",
          { class: "chip" },
          h("a", { href: href("/agents/:pc", { pc: m }) }, m),
          writable
            ? h("button", {
              type: "button",
              "aria-label": `Remove ${m} from ${g.name}`,
              onclick: async () => {
                try {
                  await api.removeAgentGroup(m, g.name);
                  toast(`${m} removed from ${g.name}`, "ok");
                  await reload();
                } catch (e) {
                  mount(status, errorBox(e, "Not removed:"));
                }
              },
            }, "×")
            : null,
        )
      ),
    );
  /** @param {any[]} groups */
  const draw = (groups) => {
    mount(names, groups.map((g) => h("option", { value: g.name })));
    const rows = filterGroups(groups, filter.value);
    return table({
      caption: "Groups",
      rows,
      empty: groups.length ? "No group matches." : "No groups yet: add a PC to one.",
      columns: [
        { label: "Group", cell: (g) => h("strong", null, g.name) },
        { label: "PCs", cell: (g) => (g.members ?? []).length, class: "num" },
        {
          label: "Members",
          cell: (g) => {
            const all = g.members ?? [];
            const shown = expanded.has(g.name) ? all : all.slice(0, MEMBERS_SHOWN);
            return h(
              "div",
              null,
              memberChips(g, shown),
              all.length > shown.length
                ? h("button", {
                  type: "button",
                  class: "btn btn-sm",
                  "aria-label": `Show all ${all.length} members of ${g.name}`,
                  onclick: () => {
                    expanded.add(g.name);
                    mount(listEl, draw(last));
                  },
                }, `Show all ${all.length}`)
                : null,
            );
          },
        },
        {
          label: "Config",
          cell: (g) =>
            h(
              "a",
              { href: `/config?scope=group&value=${encodeURIComponent(g.name)}` },
              g.has_config ? badge("has config", "info") : "add config",
            ),
        },
        {
          label: "Run",
          cell: (g) =>
            h("a", {
              href: `/exec?groups=${encodeURIComponent(g.name)}`,
              "aria-label": `Run a job on ${g.name}`,
            }, "Run a job"),
        },
      ],
    });
  };

  filter.addEventListener("input", () => {
    const q = filter.value.trim();
    history.replaceState(null, "", q ? `/groups?q=${encodeURIComponent(q)}` : "/groups");
    mount(listEl, draw(last));
  });

  main.append(
    pageHeader("Groups"),
    writable
      ? card("Add a PC to a group", addForm, status)
      : h("div", null, readOnlyNote("change group membership"), status),
    card(
      "Membership",
      h(
        "div",
        { class: "inline-form", role: "search", style: "margin-bottom:12px" },
        h("div", null, h("label", { for: "groups-filter" }, "Filter"), filter),
      ),
      listEl,
    ),
  );
  const reload = liveSection(listEl, {
    signal,
    topics: ["agents"],
    minGapMs: 5000,
    what: "Loading groups",
    load: async (s) => {
      const r = await api.groups(s);
      last = r?.groups ?? [];
      return last;
    },
    render: draw,
  });
}
