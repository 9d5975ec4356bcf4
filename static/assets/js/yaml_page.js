// @ts-check
/// <reference lib="dom" />
/**
 * The YAML editor page shared by jobs and schedules: load the operator's YAML (or a
 * template), save it through the API, show validation errors inline, and move to the
 * saved document's own URL.
 */
import { h, mount } from "./dom.js";
import { href } from "./routes.js";
import { yamlEditor } from "./editor.js";
import { isAbort } from "./api.js";
import { errorBox, loading, pageHeader, toast } from "./ui.js";

/**
 * @param {{main: HTMLElement, params: {id?: string}, signal: AbortSignal, navigate: Function}} ctx
 * @param {{
 *   kind: string, noun: string, listPath: string, detailPath: string, template: string,
 *   loadingText: string, editorLabel: string, formLabel: string,
 *   load: (id: string, signal: AbortSignal) => Promise<string>,
 *   save: (text: string) => Promise<{id?: string, version?: string}>,
 *   savedToast: (r: {id?: string, version?: string} | undefined) => string,
 *   savedNote: (r: {id?: string, version?: string} | undefined) => string,
 *   extraActions?: (id: string) => (Node | null)[],
 * }} spec
 */
export async function renderYamlPage({ main, params, signal, navigate }, spec) {
  const id = params.id;
  const isNew = !id;
  main.append(pageHeader(isNew ? `New ${spec.noun}` : `Edit ${spec.noun} ${id}`));
  const body = h("div");
  main.append(body);
  const backLabel = `Back to ${spec.noun}s`;
  let text = spec.template;
  if (!isNew) {
    mount(body, loading(spec.loadingText));
    try {
      text = await spec.load(id, signal);
    } catch (e) {
      if (isAbort(e)) return;
      mount(body, errorBox(e), h("p", null, h("a", { href: spec.listPath }, backLabel)));
      return;
    }
  }
  const editor = yamlEditor({ id: `${spec.kind}-yaml`, label: spec.editorLabel, value: text });
  const status = h("div", { role: "status", id: `${spec.kind}-save-status` });
  const saveBtn = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: `${spec.kind}-save` },
    `Save ${spec.noun}`,
  );
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": spec.formLabel,
      onsubmit: async (ev) => {
        ev.preventDefault();
        saveBtn.disabled = true;
        editor.showError(null);
        try {
          const r = await spec.save(editor.value);
          toast(spec.savedToast(r), "ok");
          if (r?.id && r.id !== id) {
            navigate(href(spec.detailPath, { id: r.id }), { replace: true });
          } else mount(status, h("p", { class: "note" }, spec.savedNote(r)));
        } catch (e) {
          editor.showError(e);
          editor.textarea.focus();
        } finally {
          saveBtn.disabled = false;
        }
      },
    },
    editor.el,
    status,
    h(
      "div",
      { class: "actions", style: "margin-top:12px" },
      saveBtn,
      ...(isNew || !spec.extraActions ? [] : spec.extraActions(id)),
      h("a", { class: "btn", href: spec.listPath }, backLabel),
    ),
  );
  mount(body, form);
  if (isNew) editor.textarea.focus();
}
