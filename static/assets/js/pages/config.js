// @ts-check
/// <reference lib="dom" />
/**
 * Layered agent config: edit one scope (global, a group or a PC; PUT is a full replace, so
 * an empty field inherits from the layer below, and each field says what it would inherit
 * and from which layer), see a PC's effective config with the layer each value comes from
 * (defaults → global → groups alphabetically → PC), and the built-in defaults.
 */
import * as api from "../api.js";
import { h, localTimeInput, mount, selectBox } from "../dom.js";
import { href } from "../routes.js";
import {
  actionButton,
  canWrite,
  card,
  confirmDialog,
  errorBox,
  loading,
  loadInto,
  pageHeader,
  readOnlyNote,
  table,
  toast,
} from "../ui.js";
import { pcField } from "../views.js";
import {
  FIELDS,
  fmtValue,
  inheritedFields,
  layerSources,
  scopeBody,
  scopeFromQuery,
} from "../config_layers.js";

export const title = "Config";

/** @param {{type: string, value?: string}} s */
const scopeLabel = (s) => s.type === "global" ? "global" : `${s.type} ${s.value}`;
/** @param {{type: string, value?: string}} s */
const scopeUrl = (s) =>
  s.type === "global"
    ? "/config"
    : `/config?scope=${s.type}&value=${encodeURIComponent(s.value ?? "")}`;

/**
 * @param {(typeof FIELDS)[number]} f
 * @param {unknown} value
 * @param {boolean} disabled
 * @param {{value: string, from: string}|undefined} inh what the field inherits, if known
 */
function fieldInput(f, value, disabled, inh) {
  const id = `cfg-${f.key}`;
  const described = inh ? `${id}-hint ${id}-inherited` : `${id}-hint`;
  const common = { id, name: f.key, disabled, "aria-describedby": described };
  let input;
  if (f.type === "bool") {
    const cur = value === true ? "true" : value === false ? "false" : "";
    input = selectBox(common, [["", "inherit"], ["true", "on"], ["false", "off"]], cur);
  } else if (f.type === "instant") {
    input = localTimeInput(common, value ? String(value) : "");
  } else if (f.type === "int") {
    input = h("input", {
      ...common,
      type: "number",
      min: "1",
      max: "1000",
      value: value ?? "",
      placeholder: "inherit",
    });
  } else {
    input = h("input", {
      ...common,
      type: "text",
      value: value ?? "",
      placeholder: "inherit",
      autocomplete: "off",
      list: f.key === "target_version" ? "cfg-releases" : undefined,
    });
  }
  return h(
    "div",
    null,
    h("label", { for: id }, f.label),
    input,
    h("p", { class: "hint", id: `${id}-hint` }, f.hint),
    inh
      ? h(
        "p",
        { class: "hint inherited", id: `${id}-inherited` },
        "Inherits ",
        h("strong", null, inh.value),
        ` from ${inh.from}.`,
      )
      : null,
  );
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, signal, navigate }) {
  const writable = canWrite();
  const scope = scopeFromQuery(query);
  const typeSel = selectBox({ id: "cfg-scope", name: "scope" }, [["global", "Global"], [
    "group",
    "Group",
  ], ["pc", "PC"]], scope.type);
  const groupIn = h("input", {
    type: "text",
    id: "cfg-group",
    name: "group",
    list: "cfg-groups",
    autocomplete: "off",
    value: scope.type === "group" ? scope.value : "",
  });
  const groupList = h("datalist", { id: "cfg-groups" });
  const pc = pcField({
    id: "cfg-pc",
    label: "PC",
    value: scope.type === "pc" ? scope.value : "",
    signal,
  });
  const groupRow = h("div", null, h("label", { for: "cfg-group" }, "Group"), groupIn, groupList);
  const syncRows = () => {
    const t = typeSel.value;
    groupRow.hidden = t !== "group";
    pc.row.hidden = t !== "pc";
  };
  typeSel.addEventListener("change", syncRows);
  syncRows();
  api.groups(signal).then((g) => {
    mount(
      groupList,
      (g?.groups ?? []).map((/** @type {any} */ x) => h("option", { value: x.name })),
    );
  }).catch(() => {});

  const editorEl = h("div", { id: "cfg-editor" });
  const defaultsEl = h("div", { id: "cfg-defaults" });
  const defaults = api.configDefaults(signal);
  const pickStatus = h("div", { id: "cfg-pick-status", role: "status" });
  const effEl = h("div", { id: "cfg-effective" });
  const effPc = pcField({
    id: "eff-pc",
    label: "PC",
    value: scope.type === "pc" ? scope.value : query.get("pc") ?? "",
    signal,
  });

  main.append(
    pageHeader("Config"),
    h(
      "form",
      {
        class: "card inline-form",
        "aria-label": "Choose a config scope",
        onsubmit: (ev) => {
          ev.preventDefault();
          const t = typeSel.value;
          const value = t === "group" ? groupIn.value.trim() : pc.input.value.trim();
          if (t !== "global" && !value) {
            mount(pickStatus, errorBox(`Enter the ${t === "pc" ? "PC" : "group"} to edit.`));
            return;
          }
          navigate(scopeUrl(t === "global" ? { type: "global" } : { type: t, value }));
        },
      },
      h("div", { class: "narrow" }, h("label", { for: "cfg-scope" }, "Scope"), typeSel),
      groupRow,
      pc.row,
      h("button", { type: "submit", class: "btn", id: "cfg-open" }, "Open scope"),
      pickStatus,
    ),
    card(`Scope: ${scopeLabel(scope)}`, editorEl),
    card(
      "Effective config",
      h(
        "form",
        {
          class: "inline-form",
          "aria-label": "Show a PC's effective config",
          onsubmit: (ev) => {
            ev.preventDefault();
            void showEffective(effPc.input.value.trim());
          },
        },
        effPc.row,
        h("button", { type: "submit", class: "btn", id: "eff-show" }, "Show"),
      ),
      effEl,
    ),
    card(
      "Built-in defaults",
      h(
        "p",
        { class: "hint" },
        "What every field resolves to when no scope sets it (the bottom layer).",
      ),
      defaultsEl,
    ),
  );

  const releases = h("datalist", { id: "cfg-releases" });
  api.releases(signal).then((rs) => {
    mount(releases, (rs ?? []).map((/** @type {any} */ r) => h("option", { value: r.version })));
  }).catch(() => {});

  const loadEditor = async () => {
    mount(editorEl, loading("Loading the scope"));
    let current;
    try {
      current = await api.scopeConfig(scope, signal);
    } catch (e) {
      if (!signal.aborted) mount(editorEl, errorBox(e));
      return;
    }
    // What each empty field falls back to; without it the editor still works.
    const inh = await inheritedOf(scope).catch(() => null);
    if (signal.aborted) return;
    const status = h("div", { id: "cfg-status", role: "status" });
    const fields = FIELDS.map((f) => fieldInput(f, current?.[f.key], !writable, inh?.[f.key]));
    const save = h("button", { type: "submit", class: "btn btn-primary", id: "cfg-save" }, "Save");
    const form = h(
      "form",
      {
        "aria-label": `Config of ${scopeLabel(scope)}`,
        // The page's own checks speak in the status line (the browser's bubbles do not last).
        novalidate: true,
        onsubmit: async (ev) => {
          ev.preventDefault();
          /** @type {Record<string, string>} */
          const raw = {};
          for (const f of FIELDS) {
            raw[f.key] = /** @type {HTMLInputElement} */ (form.querySelector(`#cfg-${f.key}`))
              .value;
          }
          const b = scopeBody(raw);
          if ("error" in b) {
            mount(status, errorBox(b.error));
            /** @type {HTMLElement|null} */ (form.querySelector(`#cfg-${b.field}`))?.focus();
            return;
          }
          save.disabled = true;
          try {
            await api.putScopeConfig(scope, b.body);
            toast(`Config of ${scopeLabel(scope)} saved`, "ok");
            mount(status, h("p", { class: "note" }, "Saved. Agents pick it up from the KV watch."));
            const target = effPc.input.value.trim();
            if (target) void showEffective(target);
          } catch (e) {
            mount(status, errorBox(e, "Not saved:"));
          } finally {
            save.disabled = false;
          }
        },
      },
      h(
        "p",
        { class: "hint" },
        "Saving replaces the whole scope: an empty field is removed here and inherits from the layer below.",
      ),
      releases,
      h(
        "fieldset",
        { disabled: !writable },
        h("legend", { class: "sr-only" }, "Fields"),
        h("div", { class: "form-grid" }, fields),
      ),
      writable
        ? h(
          "div",
          { class: "actions", style: "margin-top:12px" },
          save,
          actionButton(scope.type === "global" ? "Clear global" : "Delete scope", async () => {
            const ok = await confirmDialog({
              title: scope.type === "global"
                ? "Clear the global config?"
                : `Delete the config of ${scopeLabel(scope)}?`,
              body: "Every field then inherits from the layer below.",
              confirm: scope.type === "global" ? "Clear" : "Delete",
              danger: true,
            });
            if (!ok) return;
            if (scope.type === "global") await api.putScopeConfig(scope, {});
            else await api.deleteScopeConfig(scope);
            toast(`Config of ${scopeLabel(scope)} removed`, "ok");
            await loadEditor();
            const target = effPc.input.value.trim();
            if (target) void showEffective(target);
          }, { class: "btn btn-danger", id: "cfg-delete" }),
        )
        : readOnlyNote("change agent config"),
      status,
    );
    mount(editorEl, form);
  };

  /**
   * What a scope inherits per field: the defaults for global; for a group or a PC the
   * backend's resolution of the layers below it, and which of those layers decides.
   * @param {ReturnType<typeof scopeFromQuery>} s
   */
  async function inheritedOf(s) {
    if (s.type === "global") {
      return inheritedFields(await defaults, { global: null, groups: [] });
    }
    const [inherited, global, groups] = await Promise.all([
      api.inheritedConfig(s, signal),
      api.scopeConfig({ type: "global" }, signal).catch(() => null),
      s.type === "pc"
        ? api.effectiveConfig(s.value, signal).then((eff) => groupScopes(eff?.my_groups ?? []))
        : [],
    ]);
    return inheritedFields(inherited, { global, groups });
  }

  /** @param {string[]} names */
  function groupScopes(names) {
    return Promise.all(
      names.map((name) =>
        api.scopeConfig({ type: "group", value: name }, signal).then(
          (scope) => ({ name, scope }),
          () => ({ name, scope: null }),
        )
      ),
    );
  }

  /** @param {string} pcId */
  async function showEffective(pcId) {
    if (!pcId) {
      mount(effEl, h("p", { class: "empty" }, "Choose a PC to see what it resolves to."));
      return;
    }
    mount(effEl, loading(`Resolving ${pcId}`));
    try {
      const eff = await api.effectiveConfig(pcId, signal);
      const groups = eff?.my_groups ?? [];
      // Which layer decided each value; a failed scope read only loses the "from" column.
      const [g, gs, p] = await Promise.all([
        api.scopeConfig({ type: "global" }, signal).catch(() => null),
        groupScopes(groups),
        api.scopeConfig({ type: "pc", value: pcId }, signal).catch(() => null),
      ]);
      const from = layerSources(g, gs, p);
      mount(
        effEl,
        h(
          "p",
          { class: "hint" },
          "Groups of ",
          h("a", { href: href("/agents/:pc", { pc: pcId }) }, pcId),
          `: ${groups.length ? groups.join(", ") : "none"}.`,
        ),
        (eff?.warnings ?? []).map((/** @type {string} */ w) => h("p", { class: "note" }, w)),
        h(
          "div",
          { class: "layers" },
          table({
            caption: `Effective config of ${pcId}`,
            rows: FIELDS.map((f) => ({ f, v: eff?.effective?.[f.key] })),
            columns: [
              { label: "Field", cell: (r) => h("code", null, r.f.key) },
              { label: "Value", cell: (r) => fmtValue(r.v) },
              {
                label: "From",
                cell: (r) => {
                  const src = from[r.f.key];
                  if (src === "default") return "built-in default";
                  const s = src === "global"
                    ? { type: "global" }
                    : src === "pc"
                    ? { type: "pc", value: pcId }
                    : { type: "group", value: src.slice(6) };
                  return h("a", { href: scopeUrl(s) }, src);
                },
                class: "from",
              },
            ],
          }),
        ),
      );
    } catch (e) {
      if (!signal.aborted) mount(effEl, errorBox(e));
    }
  }

  void loadInto(defaultsEl, () => defaults, (d) =>
    table({
      caption: "Built-in defaults",
      rows: FIELDS.map((f) => ({ f, v: d?.[f.key] })),
      columns: [
        { label: "Field", cell: (r) => h("code", null, r.f.key) },
        { label: "Default", cell: (r) => fmtValue(r.v) },
      ],
    }));
  void loadEditor();
  void showEffective(effPc.input.value.trim());
}
