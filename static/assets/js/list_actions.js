// @ts-check
/// <reference lib="dom" />
/** Row actions the catalog list pages (jobs, schedules) share. */
import { h } from "./dom.js";
import { actionButton, confirmDialog } from "./ui.js";

/**
 * A row's Edit link, named after the row for screen readers.
 * @param {string} url
 * @param {string} id
 */
export function editLink(url, id) {
  return h("a", { class: "btn btn-sm", href: url, "aria-label": `Edit ${id}` }, "Edit");
}

/**
 * A button whose `run` happens only once a danger dialog (`title`, `body`; its confirm button
 * says `label`) is confirmed; a failure of `run` is toasted by actionButton.
 * @param {string} label
 * @param {{title: string, body?: any}} dialog
 * @param {() => unknown} run
 * @param {Record<string, unknown>} [attrs]
 */
export function confirmedButton(label, dialog, run, attrs) {
  return actionButton(label, async () => {
    const ok = await confirmDialog({ ...dialog, confirm: label, danger: true });
    if (ok) await run();
  }, attrs);
}
