/**
 * A plain YAML editor: a textarea with a line-number gutter, Tab inserting two spaces
 * (Escape then Tab leaves the field, so keyboard users are never trapped), and an inline
 * error area that shows the API's validation message and marks the line it names.
 */
import { h, mount } from "./dom.js";
import { errorBox } from "./ui.js";

/** Line number named by a parser message ("at line 3, column 5", "line 3:", "3:5"). */
export function errorLine(message) {
  const m = /\bline (\d+)/i.exec(message) ?? /^(\d+):\d+/.exec(message);
  return m ? Number(m[1]) : null;
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
    /** Shows an API error inline (null clears). */
    showError(err) {
      if (!err) {
        errLine = null;
        mount(errorEl);
        ta.removeAttribute("aria-invalid");
      } else {
        const msg = err instanceof Error ? err.message : String(err);
        errLine = errorLine(msg);
        mount(errorEl, errorBox(err, errLine ? `Line ${errLine}:` : "Rejected:"));
        ta.setAttribute("aria-invalid", "true");
      }
      drawGutter();
    },
  };
}
