// @ts-check
/// <reference lib="dom" />
/**
 * Inventory search over the explode tables ("Software": every installed app row across the
 * fleet): column filters with operators, then the recorded changes and the first time each
 * PC had a matching item. State lives in the URL, so a search can be shared.
 */
import * as api from "../api.js";
import { fmtTime, h, localTimeInput, mount, relTime, selectBox } from "../dom.js";
import { href } from "../routes.js";
import { card, errorBox, loading, pageHeader, table } from "../ui.js";
import { explodeSpecs, filtersFromQuery, fmtFact, OPS, searchQuery } from "../inventory_view.js";
import { inventoryTabs } from "./inventory.js";
import { historyTable } from "./inventory_pc.js";

export const title = "Inventory search";

const PAGE = 200;
const MODES = [["rows", "Current items"], ["changes", "Changes"], ["first_seen", "First seen"]];

/**
 * The API call a page state makes: which endpoint and its query.
 * @param {{mode: string, field: string, filters: {col: string, op: string, value: string}[],
 *   identity: Record<string, string>, kind: string, since: string, until: string,
 *   offset: number}} st
 */
export function searchRequest(st) {
  if (st.mode === "rows") {
    return { kind: "rows", query: { ...searchQuery(st.filters), limit: PAGE, offset: st.offset } };
  }
  /** @type {Record<string, unknown>} */
  const q = { field: st.field, since: st.since, limit: PAGE, offset: st.offset };
  for (const [k, v] of Object.entries(st.identity)) if (String(v).trim()) q[`identity.${k}`] = v;
  if (st.mode === "changes") {
    return { kind: "changes", query: { ...q, kind: st.kind, until: st.until } };
  }
  return { kind: "first_seen", query: q };
}

/** Page state from the URL. @param {URLSearchParams} qs */
export function searchState(qs) {
  const mode = MODES.some(([m]) => m === qs.get("mode")) ? String(qs.get("mode")) : "rows";
  /** @type {Record<string, string>} */
  const identity = {};
  for (const [k, v] of qs.entries()) if (k.startsWith("identity.")) identity[k.slice(9)] = v;
  return {
    job: qs.get("job") ?? "",
    field: qs.get("field") ?? "",
    mode,
    filters: filtersFromQuery(qs),
    identity,
    kind: qs.get("kind") ?? "",
    since: qs.get("since") ?? "",
    until: qs.get("until") ?? "",
    offset: Math.max(0, Number(qs.get("offset") ?? 0) || 0),
  };
}

/**
 * The page URL of a state (inverse of `searchState`).
 * @param {ReturnType<typeof searchState>} st
 */
export function searchUrl(st) {
  const qs = new URLSearchParams();
  if (st.job) qs.set("job", st.job);
  if (st.field) qs.set("field", st.field);
  if (st.mode !== "rows") qs.set("mode", st.mode);
  const r = searchRequest({ ...st, offset: 0 });
  for (const [k, v] of Object.entries(r.query)) {
    if (k === "limit" || k === "offset" || k === "field") continue;
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x !== undefined && x !== "") qs.append(k, String(x));
    }
  }
  if (st.offset) qs.set("offset", String(st.offset));
  return `/inventory/search?${qs}`;
}

/** @param {import("../routes.js").PageContext} ctx */
export async function render({ main, query, signal }) {
  const st = searchState(query);
  main.append(pageHeader("Inventory search"), inventoryTabs("/inventory/search"));
  const body = h("div");
  main.append(body);
  mount(body, loading("Loading searchable tables"));
  let jobs;
  try {
    jobs = await api.inventoryJobs(signal);
  } catch (e) {
    if (!signal.aborted) mount(body, errorBox(e));
    return;
  }
  /** @type {{job: string, spec: ReturnType<typeof explodeSpecs>[number]}[]} */
  const tables = [];
  for (const j of jobs ?? []) {
    for (const spec of explodeSpecs(j)) tables.push({ job: j.manifest_id, spec });
  }
  if (!tables.length) {
    mount(
      body,
      h(
        "p",
        { class: "empty" },
        "No probe has an explode table yet. Add `inventory.explode` to an inventory job (e.g. installed apps) and collect it.",
      ),
    );
    return;
  }
  let cur = tables.find((t) => t.job === st.job && t.spec.field === st.field) ?? tables[0];
  st.job = cur.job;
  st.field = cur.spec.field;

  const tableSel = h(
    "select",
    { id: "is-table", name: "table" },
    tables.map((t) =>
      h(
        "option",
        { value: `${t.job}|${t.spec.field}`, selected: t === cur },
        `${t.spec.field} (${t.job})`,
      )
    ),
  );
  const modeRadios = h(
    "fieldset",
    null,
    h("legend", null, "Show"),
    h(
      "div",
      { class: "radio-row" },
      MODES.map(([m, l]) =>
        h(
          "div",
          { class: "check" },
          h("input", {
            type: "radio",
            name: "is-mode",
            id: `is-mode-${m}`,
            value: m,
            checked: m === st.mode,
          }),
          h("label", { for: `is-mode-${m}` }, l),
        )
      ),
    ),
  );
  const filtersEl = h("div", { id: "is-filters" });
  const historyEl = h("div", { id: "is-history-filters" });
  const resultEl = h("div", { id: "is-results" });
  const summary = h("p", { class: "muted", role: "status", id: "is-summary" });
  let seq = 0;

  const colNames = () => ["pc_id", ...cur.spec.columns.map((c) => c.field)];
  /** @param {{col: string, op: string, value: string}} f @param {number} i */
  const filterRow = (f, i) => {
    const col = h(
      "select",
      { id: `is-col-${i}`, class: "is-col", "aria-label": `Filter ${i + 1} column` },
      colNames().map((c) => h("option", { value: c, selected: c === f.col }, c)),
    );
    const op = h(
      "select",
      { id: `is-op-${i}`, class: "is-op", "aria-label": `Filter ${i + 1} operator` },
      OPS.map(([o, l]) => h("option", { value: o, selected: o === f.op }, l)),
    );
    const value = h("input", {
      type: "text",
      id: `is-val-${i}`,
      class: "is-val",
      value: f.value,
      autocomplete: "off",
      "aria-label": `Filter ${i + 1} value`,
    });
    const row = h(
      "div",
      { class: "inline-form is-filter", style: "margin-bottom:8px" },
      h("div", { class: "narrow" }, col),
      h("div", { class: "narrow" }, op),
      h("div", null, value),
      h("button", {
        type: "button",
        class: "btn",
        "aria-label": `Remove filter ${i + 1}`,
        onclick: () => {
          st.filters = readFilters().filter((_, j) => j !== i);
          drawFilters();
        },
      }, "Remove"),
    );
    return row;
  };
  const readFilters = () =>
    [...filtersEl.querySelectorAll(".is-filter")].map((r) => ({
      col: /** @type {HTMLSelectElement} */ (r.querySelector(".is-col")).value,
      op: /** @type {HTMLSelectElement} */ (r.querySelector(".is-op")).value,
      value: /** @type {HTMLInputElement} */ (r.querySelector(".is-val")).value,
    }));
  const drawFilters = () => {
    const names = new Set(colNames());
    st.filters = st.filters.filter((f) => names.has(f.col));
    mount(
      filtersEl,
      st.filters.length ? null : h("p", { class: "hint" }, "No filter: every row of the table."),
      st.filters.map(filterRow),
      h("button", {
        type: "button",
        class: "btn",
        id: "is-add-filter",
        onclick: () => {
          st.filters = [...readFilters(), {
            col: cur.spec.columns[0]?.field ?? "pc_id",
            op: "contains",
            value: "",
          }];
          drawFilters();
          /** @type {HTMLElement|null} */ (filtersEl.querySelector(
            `#is-val-${st.filters.length - 1}`,
          ))?.focus();
        },
      }, "Add filter"),
    );
  };
  /** @param {string} id @param {string} label @param {string} value */
  const dateInput = (id, label, value) =>
    h(
      "div",
      null,
      h("label", { for: id }, label),
      localTimeInput({ id, name: id }, value),
    );
  const drawHistory = () => {
    const keys = cur.spec.primary_key.length
      ? cur.spec.primary_key
      : cur.spec.columns.map((c) => c.field).slice(0, 1);
    mount(
      historyEl,
      cur.spec.track_history ? null : h(
        "p",
        { class: "note" },
        `${cur.spec.field} of ${cur.job} does not track history (track_history is off): no changes are recorded.`,
      ),
      h(
        "div",
        { class: "form-grid" },
        keys.map((k) =>
          h(
            "div",
            null,
            h("label", { for: `is-id-${k}` }, `${k} is`),
            h("input", {
              type: "text",
              id: `is-id-${k}`,
              class: "is-identity",
              "data-key": k,
              value: st.identity[k] ?? "",
              autocomplete: "off",
            }),
          )
        ),
        st.mode === "changes"
          ? h(
            "div",
            null,
            h("label", { for: "is-kind" }, "Change"),
            selectBox(
              { id: "is-kind", name: "kind" },
              [["", "any"], "added", "removed", "changed"],
              st.kind,
            ),
          )
          : null,
        dateInput("is-since", "Since", st.since),
        st.mode === "changes" ? dateInput("is-until", "Until", st.until) : null,
      ),
    );
  };
  const readState = () => {
    st.mode =
      /** @type {HTMLInputElement|null} */ (body.querySelector("input[name=is-mode]:checked"))
        ?.value ?? "rows";
    if (st.mode === "rows") st.filters = readFilters();
    else {
      st.identity = {};
      for (const el of historyEl.querySelectorAll(".is-identity")) {
        const v = /** @type {HTMLInputElement} */ (el).value.trim();
        if (v) st.identity[el.getAttribute("data-key") ?? ""] = v;
      }
      /** @param {string} id */
      const iso = (id) => {
        const v = /** @type {HTMLInputElement|null} */ (historyEl.querySelector(`#${id}`))?.value ??
          "";
        const d = v ? new Date(v) : null;
        return d && !Number.isNaN(d.getTime()) ? d.toISOString() : "";
      };
      st.since = iso("is-since");
      st.until = iso("is-until");
      st.kind =
        /** @type {HTMLSelectElement|null} */ (historyEl.querySelector("#is-kind"))?.value ?? "";
    }
  };
  const syncMode = () => {
    filtersEl.hidden = st.mode !== "rows";
    historyEl.hidden = st.mode === "rows";
    if (st.mode !== "rows") drawHistory();
  };

  const run = async () => {
    const mine = ++seq;
    history.replaceState(null, "", searchUrl(st));
    mount(resultEl, loading("Searching"));
    summary.textContent = "";
    const req = searchRequest(st);
    try {
      const rows = req.kind === "rows"
        ? await api.inventorySearch(cur.job, cur.spec.field, req.query, signal)
        : req.kind === "changes"
        ? await api.inventoryHistorySearch(cur.job, req.query, signal)
        : await api.inventoryFirstSeen(cur.job, req.query, signal);
      if (mine !== seq) return;
      const list = rows ?? [];
      const more = list.length === PAGE;
      summary.textContent = list.length
        ? `Rows ${st.offset + 1}–${st.offset + list.length}${
          more ? " (more on the next page)" : ""
        }.`
        : "";
      const view = req.kind === "rows"
        ? rowsTable(list)
        : req.kind === "changes"
        ? historyTable(list, `Changes of ${cur.spec.field}`)
        : firstSeenTable(list);
      mount(
        resultEl,
        view,
        h(
          "nav",
          { class: "pager", "aria-label": "Result pages" },
          h("button", {
            type: "button",
            class: "btn",
            id: "is-prev",
            disabled: st.offset === 0,
            onclick: () => {
              st.offset = Math.max(0, st.offset - PAGE);
              void run();
            },
          }, "← Previous"),
          h("button", {
            type: "button",
            class: "btn",
            id: "is-next",
            disabled: !more,
            onclick: () => {
              st.offset += PAGE;
              void run();
            },
          }, "Next →"),
        ),
      );
    } catch (e) {
      if (mine === seq && !signal.aborted) mount(resultEl, errorBox(e, "Search failed:"));
    }
  };

  /** PC column linking to that PC's facts and history for the current probe. */
  const pcColumn = () => ({
    label: "PC",
    cell: (/** @type {any} */ r) =>
      h("a", {
        href: href("/inventory/:manifestId/:pc", { manifestId: cur.job, pc: r.pc_id }),
      }, r.pc_id),
  });
  /** @param {any[]} rows */
  const rowsTable = (rows) =>
    table({
      caption: `${cur.spec.field} rows`,
      rows,
      empty: "No row matches.",
      columns: [
        pcColumn(),
        ...cur.spec.columns.map((c) => ({
          label: c.field,
          cell: (/** @type {any} */ r) => fmtFact(r[c.field]),
          class: c.type === "integer" || c.type === "real" ? "num" : undefined,
        })),
        {
          label: "Collected",
          cell: (r) =>
            h(
              "time",
              { datetime: r.collected_at, title: fmtTime(r.collected_at) },
              relTime(r.collected_at),
            ),
        },
      ],
    });
  /** @param {any[]} rows */
  const firstSeenTable = (rows) =>
    table({
      caption: "First seen per PC",
      rows,
      empty: "No PC ever had a matching item.",
      columns: [
        pcColumn(),
        {
          label: "First seen",
          cell: (r) => fmtTime(r.first_seen_at),
        },
        {
          label: "How long ago",
          cell: (r) => h("span", { class: "muted" }, relTime(r.first_seen_at)),
        },
      ],
    });

  tableSel.addEventListener("change", () => {
    const [job, field] = tableSel.value.split("|");
    cur = tables.find((t) => t.job === job && t.spec.field === field) ?? cur;
    st.job = cur.job;
    st.field = cur.spec.field;
    st.filters = [];
    st.identity = {};
    st.offset = 0;
    drawFilters();
    syncMode();
  });
  modeRadios.addEventListener("change", () => {
    readState();
    st.offset = 0;
    syncMode();
  });

  mount(
    body,
    h(
      "form",
      {
        class: "card",
        role: "search",
        "aria-label": "Search inventory",
        onsubmit: (ev) => {
          ev.preventDefault();
          readState();
          st.offset = 0;
          void run();
        },
      },
      h("div", { class: "form-row" }, h("label", { for: "is-table" }, "Table"), tableSel),
      modeRadios,
      filtersEl,
      historyEl,
      h(
        "div",
        { class: "actions", style: "margin-top:12px" },
        h("button", { type: "submit", class: "btn btn-primary", id: "is-search" }, "Search"),
      ),
    ),
    summary,
    card("Results", resultEl),
  );
  drawFilters();
  syncMode();
  void run();
}
