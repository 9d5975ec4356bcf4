// @ts-check
/// <reference lib="dom" />
/**
 * A plain YAML editor: a textarea with a line-number gutter, Tab inserting two spaces
 * (Escape then Tab leaves the field, so keyboard users are never trapped), and an inline
 * error area that shows the API's validation message and marks the line it names.
 */
import { h, mount } from "./dom.js";
import { errorBox } from "./ui.js";

/**
 * The line an API error points at: a parser position ("at line 3, column 5", "3:5"), or
 * a field path the validator names (`execute.timeout: …`, "unknown field
 * `execute.foo`") looked up in the YAML text.
 * @param {string} message
 * @param {string} [text] the YAML that was sent
 */
export function errorLine(message, text = "") {
  const m = /\bline (\d+)/i.exec(message) ?? /^(\d+):\d+/.exec(message);
  if (m) return Number(m[1]);
  const path = /`([A-Za-z0-9_.[\]-]+)`/.exec(message)?.[1] ??
    /^([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+|\[\d+\])*):/.exec(message)?.[1];
  return path ? pathLine(text, path) : null;
}

/**
 * 1-based line of a dotted key path in block-style YAML (`a.b[0].c`), or null. A key is
 * looked for among its parent's direct children (the lines at the children's key
 * indentation), so text inside block scalars never matches; list indexes are skipped.
 * @param {string} text
 * @param {string} path
 */
export function pathLine(text, path) {
  const keys = path.split(/\.|\[\d+\]/).filter(Boolean);
  if (!keys.length) return null;
  const lines = text.split("\n");
  let from = 0;
  let parentIndent = -1;
  let found = null;
  for (const key of keys) {
    found = null;
    let childIndent = null;
    for (let i = from; i < lines.length; i++) {
      const line = lines[i];
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith("#")) continue;
      const raw = line.length - line.trimStart().length;
      if (raw <= parentIndent) break; // left the parent's block
      const m = /^(\s*)((?:-\s+)*)(["']?)([^"':#\s][^"':#]*?)\3\s*:(?:\s|$)/.exec(line);
      const keyIndent = m ? m[1].length + m[2].length : raw;
      childIndent ??= keyIndent;
      if (keyIndent !== childIndent) continue;
      if (m && m[4] === key) {
        found = i;
        parentIndent = keyIndent;
        from = i + 1;
        break;
      }
    }
    if (found === null) return null;
  }
  return found === null ? null : found + 1;
}

/**
 * @param {{id: string, label: string, value: string, describedBy?: string}} o
 */
export function yamlEditor(o) {
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const ta = /** @type {HTMLTextAreaElement} */ (h("textarea", {
    id: o.id,
    name: o.id,
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "off",
    wrap: "off",
    "aria-describedby": `${o.id}-help ${o.id}-error`,
  }));
  ta.value = o.value;
  const errorEl = h("div", { id: `${o.id}-error`, class: "editor-status" });
  /** @type {number | null} */
  let errLine = null;
  let escaped = false;

  const drawGutter = () => {
    const n = ta.value.split("\n").length;
    mount(
      gutter,
      Array.from(
        { length: n },
        (_, i) => h("div", { class: i + 1 === errLine ? "err" : undefined }, String(i + 1)),
      ),
    );
    gutter.scrollTop = ta.scrollTop;
  };
  ta.addEventListener("input", drawGutter);
  ta.addEventListener("scroll", () => (gutter.scrollTop = ta.scrollTop));
  ta.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      escaped = true;
      return;
    }
    if (ev.key === "Tab" && !ev.shiftKey && !escaped && !ev.ctrlKey && !ev.altKey) {
      ev.preventDefault();
      const { selectionStart: s, selectionEnd: e } = ta;
      ta.setRangeText("  ", s, e, "end");
      drawGutter();
      return;
    }
    escaped = false;
  });
  drawGutter();

  const el = h(
    "div",
    null,
    h("label", { for: o.id }, o.label),
    h(
      "p",
      { id: `${o.id}-help`, class: "hint" },
      "Tab indents by two spaces; press Escape then Tab to leave the editor.",
    ),
    h("div", { class: "editor" }, gutter, ta),
    errorEl,
  );

  return {
    el,
    textarea: ta,
    get value() {
      return ta.value;
    },
    set value(v) {
      ta.value = v;
      drawGutter();
    },
    /**
     * Shows an API error inline (null clears).
     * @param {unknown} err
     */
    showError(err) {
      if (!err) {
        errLine = null;
        mount(errorEl);
        ta.removeAttribute("aria-invalid");
      } else {
        const msg = err instanceof Error ? err.message : String(err);
        errLine = errorLine(msg, ta.value);
        mount(errorEl, errorBox(err, errLine ? `Line ${errLine}:` : "Rejected:"));
        ta.setAttribute("aria-invalid", "true");
      }
      drawGutter();
    },
  };
}
