// @ts-check
/// <reference lib="dom" />
/**
 * The target picker the Exec and Notifications pages share: send to all agents, groups or
 * specific PCs, with group and PC suggestions and the count of alive PCs the target
 * resolves to (from the online agents and `/api/groups` membership).
 */
import * as api from "./api.js";
import { h, splitList } from "./dom.js";

const MAX_ONLINE_SCAN = 5000;

/**
 * Where a send goes: every agent, or the union of some groups and PCs.
 * @typedef {{all: boolean, groups: string[], pcs: string[]}} Target
 */
/**
 * What the picker knows of the fleet (`loadFleet`); `members` is null when the backend
 * does not list group membership.
 * @typedef {{online: Set<string>, onlineCount: number, members: Map<string, string[]> | null}} Fleet
 */

/**
 * Online PCs (paged), and group membership when the backend offers `/api/groups`.
 * @param {AbortSignal} signal
 */
export async function loadFleet(signal) {
  /** @type {Set<string>} */
  const online = new Set();
  let onlineCount = null;
  for (let offset = 0; offset < MAX_ONLINE_SCAN; offset += 500) {
    const r = await api.agents({ status: "online", limit: 500, offset }, signal);
    for (const a of r.rows) online.add(a.pc_id);
    onlineCount = r.online ?? r.total;
    if (r.rows.length < 500 || online.size >= r.total) break;
  }
  /** @type {Map<string, string[]> | null} */
  let members = null;
  try {
    const g = await api.groups(signal);
    members = new Map((g?.groups ?? []).map((/** @type {any} */ x) => [x.name, x.members ?? []]));
  } catch { /* resolution by group is then unknown */ }
  return { online, onlineCount: onlineCount ?? online.size, members };
}

/**
 * Alive PCs a target resolves to (null when it cannot be known here).
 * @param {Target} target
 * @param {Fleet} fleet
 */
export function resolveCount(target, fleet) {
  if (target.all) return fleet.onlineCount;
  /** @type {Set<string>} */
  const set = new Set();
  for (const pc of target.pcs) if (fleet.online.has(pc)) set.add(pc);
  if (target.groups.length) {
    if (!fleet.members) return null;
    for (const g of target.groups) {
      for (const pc of fleet.members.get(g) ?? []) if (fleet.online.has(pc)) set.add(pc);
    }
  }
  return set.size;
}

/**
 * "Resolves to N alive PCs" for a target, or why it cannot be counted here.
 * @param {Target} target
 * @param {Fleet} fleet
 */
export function resolvedText(target, fleet) {
  const n = resolveCount(target, fleet);
  return n === null
    ? "This backend does not list group members: the alive count is computed when you send."
    : `Resolves to ${n} alive PC${n === 1 ? "" : "s"}${target.all ? " (every online agent)" : ""}.`;
}

/**
 * The picker's controls. `prefix` names the text inputs (`<prefix>-groups`,
 * `<prefix>-pcs`, `<prefix>-resolved`); `radioPrefix` the radios (`<radioPrefix>-all`, …).
 * `onChange` runs after each edit, once the rows shown match the chosen mode.
 * @param {{fleet: any, prefix: string, radioPrefix?: string, initial?: {groups?: string,
 *   pcs?: string}, onChange?: () => void}} o
 */
export function targetPicker(o) {
  const radioPrefix = o.radioPrefix ?? `${o.prefix}-target`;
  const radioName = `${radioPrefix}-mode`;
  const initialPcs = o.initial?.pcs ?? "";
  const initialGroups = o.initial?.groups ?? "";
  const mode0 = initialPcs ? "pcs" : initialGroups ? "groups" : "all";
  /** @param {string} value @param {string} label */
  const radio = (value, label) =>
    h(
      "div",
      { class: "check" },
      h("input", {
        type: "radio",
        name: radioName,
        id: `${radioPrefix}-${value}`,
        value,
        checked: value === mode0,
      }),
      h("label", { for: `${radioPrefix}-${value}` }, label),
    );
  const groupNamesId = `${o.prefix}-group-names`;
  const pcNamesId = `${o.prefix}-pc-names`;
  /**
   * A comma-separated list input with suggestions from the datalist `list`, in its row.
   * @param {string} name @param {string} label @param {string} value @param {string} list
   * @param {string} placeholder
   */
  const listField = (name, label, value, list, placeholder) => {
    const id = `${o.prefix}-${name}`;
    const input = h("input", {
      type: "text",
      id,
      name,
      value,
      list,
      autocomplete: "off",
      placeholder,
    });
    return { input, row: h("div", { class: "form-row" }, h("label", { for: id }, label), input) };
  };
  const { input: groupsIn, row: groupsRow } = listField(
    "groups",
    "Groups (comma separated)",
    initialGroups,
    groupNamesId,
    "canary, lab",
  );
  const { input: pcsIn, row: pcsRow } = listField(
    "pcs",
    "PCs (comma separated)",
    initialPcs,
    pcNamesId,
    "PC-001, PC-002",
  );
  const resolved = h("p", {
    id: `${o.prefix}-resolved`,
    role: "status",
    "aria-live": "polite",
    class: "note",
  });
  const fieldset = h(
    "fieldset",
    null,
    h("legend", null, "Send to"),
    h(
      "div",
      { class: "radio-row" },
      radio("all", "All agents"),
      radio("groups", "Groups"),
      radio("pcs", "Specific PCs"),
    ),
  );
  const elements = [
    fieldset,
    groupsRow,
    pcsRow,
    h(
      "datalist",
      { id: groupNamesId },
      [...(o.fleet.members?.keys() ?? [])].map((g) => h("option", { value: g })),
    ),
    h(
      "datalist",
      { id: pcNamesId },
      [...o.fleet.online].slice(0, 500).map((p) => h("option", { value: p })),
    ),
    resolved,
  ];
  const mode = () =>
    /** @type {HTMLInputElement|null} */ (fieldset.querySelector(
      `input[name=${radioName}]:checked`,
    ))
      ?.value ?? "all";
  const target = () => {
    const m = mode();
    return {
      all: m === "all",
      groups: m === "groups" ? splitList(groupsIn.value) : [],
      pcs: m === "pcs" ? splitList(pcsIn.value) : [],
    };
  };
  const sync = () => {
    const m = mode();
    groupsRow.hidden = m !== "groups";
    pcsRow.hidden = m !== "pcs";
    resolved.textContent = resolvedText(target(), o.fleet);
    o.onChange?.();
  };
  for (const el of [fieldset, groupsIn, pcsIn]) {
    el.addEventListener("input", sync);
    el.addEventListener("change", sync);
  }
  return {
    elements,
    target,
    /** Sets the resolved line (a page that decides the target otherwise, e.g. waves). */
    say: (/** @type {string} */ text) => resolved.textContent = text,
    sync,
    isEmpty: () => {
      const t = target();
      return !t.all && !t.groups.length && !t.pcs.length;
    },
  };
}
