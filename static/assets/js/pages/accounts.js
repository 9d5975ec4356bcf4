// @ts-check
/// <reference lib="dom" />
/**
 * Accounts (admin): list, create, change role, disable, reset a password (the person
 * must change it at next sign-in), clear a lost authenticator, delete. The backend keeps
 * at least one enabled admin; its 409 is explained next to the action that hit it.
 */
import * as api from "../api.js";
import { fmtTime, h, mount } from "../dom.js";
import {
  actionButton,
  badge,
  card,
  confirmDialog,
  errorBox,
  loadInto,
  pageHeader,
  table,
  toast,
} from "../ui.js";
import { confirmedButton } from "../list_actions.js";

export const title = "Accounts";

const ROLES = ["viewer", "operator", "admin"];

/**
 * The page's words for the backend's refusals.
 * @param {any} e
 */
export function explain(e) {
  if (api.statusOf(e) === 409 && /last enabled admin/.test(e.message)) {
    return `${e.message}: kanade always keeps one enabled admin. Make another account an admin (and enable it) first.`;
  }
  return e?.message ?? String(e);
}

/** @param {any} a @param {(sel: HTMLSelectElement) => void} onChange */
function roleSelect(a, onChange) {
  const id = `role-${a.username}`;
  return h(
    "span",
    { class: "check" },
    h("label", { for: id, class: "sr-only" }, `Role of ${a.username}`),
    h(
      "select",
      { id, name: id, onchange: (ev) => onChange(/** @type {HTMLSelectElement} */ (ev.target)) },
      ROLES.map((r) => h("option", { value: r, selected: r === a.role }, r)),
    ),
  );
}

/**
 * Asks for a new password in a dialog; null when cancelled.
 * @param {string} username
 */
async function askPassword(username) {
  const input = h("input", {
    id: "reset-password",
    name: "reset-password",
    type: "password",
    autocomplete: "new-password",
    minlength: "8",
  });
  const ok = await confirmDialog({
    title: `Reset the password of ${username}`,
    body: h(
      "div",
      { class: "form-row" },
      h("label", { for: "reset-password" }, "New password (at least 8 characters)"),
      input,
      h(
        "p",
        { class: "hint" },
        "They must change it when they next sign in; their sessions end now.",
      ),
    ),
    confirm: "Reset password",
  });
  return ok ? input.value : null;
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, signal }) {
  const list = h("div", { id: "accounts-list" });
  const problem = h("div", { id: "accounts-status", "aria-live": "polite" });
  const refresh = () => loadInto(list, () => api.accounts(signal), renderList, "Loading accounts");
  /** @param {() => Promise<unknown>} what */
  const act = async (what) => {
    problem.replaceChildren();
    try {
      await what();
      await refresh();
    } catch (e) {
      problem.append(errorBox(explain(e)));
      await refresh();
    }
  };

  /** @param {any[]} rows */
  function renderList(rows) {
    return table({
      caption: "Accounts",
      empty: "No accounts yet.",
      rows,
      columns: [
        { label: "Username", cell: (a) => h("strong", null, a.username) },
        {
          label: "Role",
          cell: (a) =>
            roleSelect(a, (sel) =>
              act(async () => {
                await api.updateAccount(a.username, { role: sel.value });
                toast(`${a.username} is now ${sel.value}.`, "ok");
              })),
        },
        {
          label: "State",
          cell: (a) => [
            a.disabled ? badge("disabled", "muted") : badge("enabled", "ok"),
            a.must_change_pw ? badge("must change password", "warn") : null,
            a.mfa ? badge("MFA", "info") : null,
          ],
        },
        { label: "Updated", cell: (a) => fmtTime(a.updated_at) },
        {
          label: "Actions",
          cell: (a) =>
            h(
              "div",
              { class: "actions" },
              actionButton(a.disabled ? "Enable" : "Disable", () =>
                act(() => api.updateAccount(a.username, { disabled: !a.disabled })), {
                class: "btn btn-sm",
                "aria-label": `${a.disabled ? "Enable" : "Disable"} ${a.username}`,
              }),
              actionButton("Reset password", () =>
                act(async () => {
                  const pw = await askPassword(a.username);
                  if (pw !== null) {
                    await api.updateAccount(a.username, { password: pw });
                    toast(`Password of ${a.username} reset.`, "ok");
                  }
                }), { class: "btn btn-sm", "aria-label": `Reset password of ${a.username}` }),
              a.mfa
                ? confirmedButton(
                  "Clear MFA",
                  {
                    title: `Clear the authenticator of ${a.username}?`,
                    body: "They sign in with their password alone until they set up a new one.",
                  },
                  () =>
                    act(() =>
                      api.updateAccount(a.username, { mfa: false })
                    ),
                  { class: "btn btn-sm", "aria-label": `Clear MFA of ${a.username}` },
                )
                : null,
              confirmedButton(
                "Delete",
                {
                  title: `Delete ${a.username}?`,
                  body: "Their sessions stop working at once.",
                },
                () => act(() => api.deleteAccount(a.username)),
                { class: "btn btn-sm btn-danger", "aria-label": `Delete ${a.username}` },
              ),
            ),
        },
      ],
    });
  }

  const createStatus = h("div", { id: "create-status" });
  /** @param {string} id @param {string} label @param {Record<string, unknown>} attrs */
  const field = (id, label, attrs) =>
    h(
      "div",
      { class: "form-row" },
      h("label", { for: id }, label),
      h("input", { id, name: id, ...attrs }),
    );
  const create = h(
    "form",
    {
      id: "account-create",
      class: "form-grid",
      onsubmit: async (ev) => {
        ev.preventDefault();
        const form = /** @type {HTMLFormElement} */ (ev.currentTarget);
        /** @param {string} id */
        const v = (id) => /** @type {HTMLInputElement} */ (form.querySelector(`#${id}`)).value;
        createStatus.replaceChildren();
        try {
          await api.createAccount({
            username: v("new-username").trim(),
            password: v("new-password"),
            role: v("new-role"),
          });
          toast(`Account ${v("new-username").trim()} created.`, "ok");
          form.reset();
          await refresh();
        } catch (e) {
          createStatus.append(errorBox(explain(e)));
        }
      },
    },
    field("new-username", "Username", {
      type: "text",
      required: true,
      autocomplete: "off",
      autocapitalize: "none",
    }),
    field("new-password", "Password (at least 8 characters)", {
      type: "password",
      required: true,
      autocomplete: "new-password",
    }),
    h(
      "div",
      { class: "form-row" },
      h("label", { for: "new-role" }, "Role"),
      h(
        "select",
        { id: "new-role", name: "new-role" },
        ROLES.map((r) => h("option", { value: r }, r)),
      ),
    ),
    h(
      "div",
      { class: "form-row" },
      h(
        "button",
        { type: "submit", class: "btn btn-primary", id: "create-submit" },
        "Create account",
      ),
    ),
  );
  mount(
    main,
    pageHeader(title),
    h(
      "p",
      { class: "hint" },
      "Roles: viewer reads, operator also changes the fleet, admin also manages accounts. kanade always keeps at least one enabled admin.",
    ),
    problem,
    card("People", list),
    card("New account", create, createStatus),
  );
  return refresh();
}
