// @ts-check
/// <reference lib="dom" />
/**
 * Change your own password; forced after the first sign-in or an admin reset
 * (`must_change_pw`). The backend ends every earlier session and hands back a fresh token.
 */
import * as api from "../api.js";
import * as session from "../session.js";
import { h } from "../dom.js";
import { errorBox, pageHeader, toast } from "../ui.js";
import { safeNext } from "./login.js";

export const title = "Change password";

/**
 * Client-side checks before the request (the backend checks again).
 * @param {string} next
 * @param {string} confirm
 */
export function passwordProblem(next, confirm) {
  if ([...next].length < 8) return "The new password must be at least 8 characters.";
  if (next !== confirm) return "The two new passwords differ.";
  return null;
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, navigate }) {
  const me = session.current();
  const forced = Boolean(me?.must_change_pw);
  const status = h("div", { id: "change-status" });
  /** @param {string} id @param {string} label @param {string} autocomplete */
  const input = (id, label, autocomplete) =>
    h(
      "div",
      { class: "form-row" },
      h("label", { for: id }, label),
      h("input", { id, name: id, type: "password", required: true, autocomplete }),
    );
  /** @param {string} id */
  const val = (id) => /** @type {HTMLInputElement} */ (main.querySelector(`#${id}`)).value;
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "change-submit" },
    "Change password",
  );
  main.append(
    pageHeader(title),
    // append() would print a null as the text "null": only what is there goes in.
    ...(forced
      ? [h(
        "p",
        { class: "note", role: "note", id: "change-forced" },
        "You must choose a new password before using kanade.",
      )]
      : []),
    h(
      "form",
      {
        class: "card login",
        id: "change-form",
        "aria-labelledby": "page-title",
        onsubmit: async (ev) => {
          ev.preventDefault();
          status.replaceChildren();
          const problem = passwordProblem(val("new-password"), val("confirm-password"));
          if (problem) {
            status.append(errorBox(problem));
            return;
          }
          submit.disabled = true;
          try {
            const token = await api.changePassword(val("current-password"), val("new-password"));
            if (token) api.setToken(token);
            toast("Password changed. Other sessions were signed out.", "ok");
            navigate(safeNext(query), { replace: true });
          } catch (e) {
            status.append(
              errorBox(api.statusOf(e) === 401 ? "The current password is not right." : e),
            );
          } finally {
            submit.disabled = false;
          }
        },
      },
      input("current-password", "Current password", "current-password"),
      input("new-password", "New password (at least 8 characters)", "new-password"),
      input("confirm-password", "New password again", "new-password"),
      status,
      h("div", { class: "actions" }, submit),
    ),
  );
}
