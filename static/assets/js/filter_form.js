// @ts-check
/// <reference lib="dom" />
/**
 * The filter forms of the list pages (activity, audit, executions): the URL holds the
 * filters, so a filtered list can be shared and survives a reload.
 */

/**
 * Submit of a filter form: every field goes into the page's filter state `f` (trimmed; a
 * datetime-local `since` as RFC 3339) and, unless empty or the page's default `limit`, into
 * the URL, which is replaced (no history entry per filter); then the list reloads.
 * @param {HTMLFormElement} form
 * @param {Record<string, string>} f
 * @param {{path: string, defaultLimit?: string, reload: () => unknown}} o
 */
export function applyFilters(form, f, o) {
  const qs = new URLSearchParams();
  for (const [k, v] of new FormData(form).entries()) {
    let val = String(v).trim();
    if (k === "since" && val) val = new Date(val).toISOString();
    f[k] = val;
    if (val && !(k === "limit" && val === o.defaultLimit)) qs.set(k, val);
  }
  history.replaceState(null, "", `${o.path}${qs.size ? "?" + qs : ""}`);
  void o.reload();
}
