// @ts-check
/// <reference lib="dom" />
/**
 * Shared widgets: page header, cards, tables, badges, progress bars, toasts, the confirm
 * dialog (native <dialog>, so focus trapping and Escape come from the browser) and the
 * inline error box that shows an API error message.
 */
import { h, mount } from "./dom.js";
import { live } from "./live.js";
import * as session from "./session.js";
import { isAbort } from "./api.js";

/**
 * Page heading; the router focuses it after each navigation.
 * @param {string} title
 * @param {...any} actions
 */
export function pageHeader(title, ...actions) {
  return h(
    "div",
    { class: "page-head" },
    h("h1", { tabindex: "-1", id: "page-title" }, title),
    actions.length ? h("div", { class: "actions" }, ...actions) : null,
  );
}

/** @param {string} title @param {...any} body */
export function card(title, ...body) {
  const id = `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h(
    "section",
    { class: "card", "aria-labelledby": id },
    h("h2", { id }, title),
    ...body,
  );
}

/**
 * `kind`: ok | warn | fail | info | muted.
 * @param {string} text
 */
export function badge(text, kind = "info") {
  return h("span", { class: `badge badge-${kind}` }, text);
}

/** @param {string} state */
export function stateBadge(state) {
  /** @type {Record<string, string>} */
  const kinds = {
    success: "ok",
    completed: "ok",
    ok: "ok",
    online: "ok",
    ACTIVE: "ok",
    enabled: "ok",
    running: "info",
    published: "ok",
    skipped: "warn",
    pending: "warn",
    unknown: "warn",
    expired: "muted",
    offline: "muted",
    disabled: "muted",
    failure: "fail",
    failed: "fail",
    degraded: "fail",
    REVOKED: "fail",
    killed: "fail",
  };
  const kind = kinds[state] ?? "info";
  return badge(state, kind);
}

/**
 * @param {{label: string, value: number, max: number, id?: string}} p
 */
export function progressBar(p) {
  const max = Math.max(1, p.max);
  const pct = Math.min(100, Math.round((p.value / max) * 100));
  return h(
    "div",
    {
      class: "progress",
      role: "progressbar",
      "aria-label": p.label,
      "aria-valuemin": "0",
      "aria-valuemax": String(max),
      "aria-valuenow": String(Math.min(p.value, max)),
      "aria-valuetext": `${p.value} of ${p.max} (${pct} %)`,
      "data-pct": String(pct),
      id: p.id,
    },
    h("div", { class: "progress-fill", style: `width:${pct}%` }),
  );
}

/**
 * A scrollable output box (stdout, stderr, a log tail): a named region that takes focus,
 * so keyboard users can scroll it and screen readers can find it.
 * @param {string} id
 * @param {string} label
 * @param {string} [text]
 * @param {string} [extraClass]
 */
export function outputBox(id, label, text = "", extraClass = "") {
  return h("pre", {
    class: `output ${extraClass}`.trim(),
    id,
    tabindex: "0",
    role: "region",
    "aria-label": label,
  }, text);
}

/**
 * A column of `table`: its header and how a row (API JSON) becomes its cell.
 * @typedef {{label: string, cell: (row: any) => any, class?: string}} Column
 */

/**
 * A table with a caption (for screen readers) and an empty state.
 * @param {{caption: string, columns: Column[],
 *   rows: any[], empty?: string, rowClass?: (row: any) => string|undefined}} t
 */
export function table(t) {
  if (!t.rows.length) return h("p", { class: "empty" }, t.empty ?? "Nothing to show.");
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t.caption },
    h(
      "table",
      null,
      h("caption", { class: "sr-only" }, t.caption),
      h("thead", null, h("tr", null, t.columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h(
        "tbody",
        null,
        t.rows.map((r) =>
          h(
            "tr",
            { class: t.rowClass?.(r) },
            t.columns.map((c) => h("td", { class: c.class, "data-label": c.label }, c.cell(r))),
          )
        ),
      ),
    ),
  );
}

/**
 * Definition list from [label, value] pairs.
 * @param {([string, any] | null | false | undefined)[]} pairs
 */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    /** @type {[string, any][]} */ (pairs.filter(Boolean)).map((
      [k, v],
    ) => [h("dt", null, k), h("dd", null, v ?? "—")]),
  );
}

/** @param {unknown} err @param {string} [prefix] */
export function errorBox(err, prefix) {
  return h(
    "div",
    { class: "error-box", role: "alert" },
    prefix ? h("strong", null, prefix, " ") : null,
    errorText(err),
  );
}

/**
 * What an error box says: the HTTP status an API error carries, then its message.
 * @param {unknown} err
 */
function errorText(err) {
  const status = err && typeof err === "object" && "status" in err ? `${err.status} · ` : "";
  return `${status}${err instanceof Error ? err.message : String(err)}`;
}

export function loading(what = "Loading") {
  return h("p", { class: "loading", role: "status" }, `${what}…`);
}

/**
 * Loads `fn()` into `el`: a spinner line, then the rendered result or an error box.
 * @param {HTMLElement} el
 * @param {() => Promise<any>} fn
 * @param {(data: any) => any} render
 * @param {string} [what]
 */
export async function loadInto(el, fn, render, what) {
  if (!el.hasChildNodes()) mount(el, loading(what));
  try {
    const data = await fn();
    mount(el, render(data));
  } catch (e) {
    if (isAbort(e)) return;
    mount(el, errorBox(e));
  }
}

// ---- toasts --------------------------------------------------------------------------

/** @param {string} message */
export function toast(message, kind = "info") {
  const region = document.getElementById("toasts");
  if (!region) return;
  const el = h("div", { class: `toast toast-${kind}` }, message);
  region.appendChild(el);
  setTimeout(() => el.remove(), kind === "fail" ? 8000 : 4000);
}

// ---- confirm dialog -----------------------------------------------------------------------

/**
 * @param {{title: string, body?: any, confirm?: string, danger?: boolean,
 *   option?: {label: string, hint?: string}}} o
 * @returns {Promise<false | {option: boolean}>}
 */
export function confirmDialog(o) {
  return new Promise((resolve) => {
    const opt = o.option
      ? h("input", { type: "checkbox", id: "confirm-option", name: "confirm-option" })
      : null;
    const dlg = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "confirm-title" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "confirm-title" }, o.title),
        o.body ? h("div", { class: "dialog-body" }, o.body) : null,
        opt
          ? h(
            "div",
            { class: "check" },
            opt,
            h("label", { for: "confirm-option" }, o.option?.label),
            o.option?.hint ? h("p", { class: "hint" }, o.option.hint) : null,
          )
          : null,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "submit", value: "cancel", class: "btn" }, "Cancel"),
          h(
            "button",
            { type: "submit", value: "ok", class: o.danger ? "btn btn-danger" : "btn btn-primary" },
            o.confirm ?? "Confirm",
          ),
        ),
      ),
    );
    const opener = document.activeElement;
    dlg.addEventListener("close", () => {
      const ok = dlg.returnValue === "ok";
      dlg.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(ok ? { option: Boolean(opt?.checked) } : false);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    // Destructive default is Cancel: focus it first.
    /** @type {HTMLElement|null} */ (dlg.querySelector("button[value=cancel]"))?.focus();
  });
}

/**
 * A button that disables itself while its async action runs and reports errors.
 * @param {string} label
 * @param {(btn: HTMLButtonElement) => unknown} action
 */
export function actionButton(label, action, attrs = {}) {
  const btn = h("button", { type: "button", class: "btn", ...attrs }, label);
  btn.addEventListener("click", async () => {
    if (btn.hasAttribute("aria-busy")) return;
    const hadFocus = document.activeElement === btn;
    const key = hadFocus ? focusKey(btn) : null;
    btn.setAttribute("aria-busy", "true");
    btn.disabled = true;
    try {
      await action(btn);
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), "fail");
    } finally {
      btn.removeAttribute("aria-busy");
      if (btn.isConnected) btn.disabled = false;
      // A disabled button loses focus (and a dialog cannot hand it back): a keyboard user
      // continues from the button, not from the top of the page; from the button that took
      // its place when a live refresh re-rendered the list meanwhile.
      const lost = !document.activeElement || document.activeElement === document.body;
      if (hadFocus && lost) {
        if (btn.isConnected) btn.focus();
        else if (key) refocus(document.body, key);
      }
    }
  });
  return btn;
}

/**
 * Loads a section now and again whenever the live hub reports a change on `topics`
 * (SSE, or the slow poll when the stream is down). Stops with the page's signal.
 * @param {HTMLElement} el
 * @param {{load: (signal: AbortSignal) => Promise<any>, render: (data: any) => any,
 *   topics: string[], signal: AbortSignal, minGapMs?: number, what?: string}} o
 */
export function liveSection(el, o) {
  let seq = 0;
  /** @type {string | null} */
  let last = null;
  /** @type {string | null} The text of the error box on show while loads fail. */
  let lastError = null;
  const run = async () => {
    if (o.signal.aborted) return;
    const mine = ++seq;
    if (!el.hasChildNodes()) mount(el, loading(o.what));
    try {
      const data = await o.load(o.signal);
      if (mine !== seq || o.signal.aborted) return;
      // Unchanged data: keep the DOM (and the user's focus and selection) as it is.
      const sig = signature(data);
      if (sig !== null && sig === last && !el.querySelector(".loading,.error-box")) return;
      last = sig;
      lastError = null;
      const focused = el.contains(document.activeElement) ? document.activeElement : null;
      const key = focused ? focusKey(focused) : null;
      mount(el, o.render(data));
      if (key) refocus(el, key);
    } catch (e) {
      if (mine !== seq || o.signal.aborted || isAbort(e)) return;
      last = null;
      // The same failure again (a PC that is not known, on every fleet notice): the box on
      // show stays. A new one would be announced again by screen readers (role=alert).
      const text = errorText(e);
      if (text === lastError && el.querySelector(":scope > .error-box")) return;
      lastError = text;
      mount(el, errorBox(e));
    }
  };
  void run();
  live.subscribe(o.topics, run, { signal: o.signal, minGapMs: o.minGapMs });
  return run;
}

/** @param {unknown} data */
function signature(data) {
  try {
    return JSON.stringify(data, (_k, v) => v instanceof Map ? [...v.entries()] : v);
  } catch {
    return null;
  }
}

/**
 * What identifies a control across a re-render (the node itself is replaced).
 * @param {unknown} node
 */
export function focusKey(node) {
  if (!(node instanceof Element)) return null;
  return [
    node.tagName,
    node.id,
    node.getAttribute("href"),
    node.getAttribute("aria-label"),
    node.getAttribute("name"),
    (node.textContent ?? "").trim().slice(0, 40),
  ].join("|");
}

/**
 * A live refresh must not throw a keyboard user back to the top of the page.
 * @param {Element} root
 * @param {string} key
 */
function refocus(root, key) {
  const tag = key.split("|")[0];
  for (const el of root.querySelectorAll(tag)) {
    if (focusKey(el) === key && el instanceof HTMLElement) {
      el.focus({ preventScroll: true });
      return;
    }
  }
}

// ---- roles ---------------------------------------------------------------------------------

/**
 * Whether the signed-in caller may change the fleet (operator/admin as `/api/auth/me` says,
 * or the static token). Pages leave write controls out when not, and say why with
 * `readOnlyNote`.
 */
export function canWrite() {
  return session.hasRole("operator");
}

/** @param {string} what */
export function readOnlyNote(what) {
  return h(
    "p",
    { class: "note", role: "note" },
    `Read-only: your role can view this page but cannot ${what} (operator role needed).`,
  );
}
