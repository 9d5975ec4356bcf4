/** Login: paste a bearer token (static token or JWT); it is checked before it is kept. */
import * as api from "../api.js";
import { h } from "../dom.js";
import { errorBox } from "../ui.js";

export const title = "Sign in";

/** Only same-site paths may be a post-login target (no open redirect). */
function safeNext(q) {
  const next = q.get("next") ?? "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login")
    ? next
    : "/dashboard";
}

export function render({ main, query, navigate }) {
  const status = h("div", { id: "login-status" });
  const input = h("textarea", {
    id: "token",
    name: "token",
    rows: "3",
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "token-hint",
  });
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "login-submit" },
    "Sign in",
  );
  const form = h(
    "form",
    {
      class: "card login",
      "aria-labelledby": "page-title",
      onsubmit: async (ev) => {
        ev.preventDefault();
        const token = /** @type {HTMLTextAreaElement} */ (input).value.trim();
        status.replaceChildren();
        if (!token) {
          status.append(errorBox("Paste a token first."));
          return;
        }
        submit.disabled = true;
        const previous = api.getToken();
        api.setToken(token);
        try {
          await api.checkToken();
          navigate(safeNext(query), { replace: true });
        } catch (e) {
          if (previous) api.setToken(previous);
          else api.clearToken();
          const msg = e?.status === 401
            ? "The backend rejected this token (401). Check that it is the static token or an unexpired JWT with aud=kanade."
            : e?.status === 403
            ? "This token is valid but not allowed to read the fleet (403)."
            : null;
          status.append(errorBox(msg ?? e));
          input.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h1", { id: "page-title", tabindex: "-1" }, "Sign in to kanade"),
    h(
      "div",
      { class: "form-row" },
      h("label", { for: "token" }, "API token"),
      input,
      h(
        "p",
        { id: "token-hint", class: "hint" },
        "The backend's static token or a JWT. It is kept in this browser's local storage only.",
      ),
    ),
    status,
    h("div", { class: "actions" }, submit),
  );
  main.append(form);
  if (query.get("expired")) status.append(errorBox("Your session ended. Please sign in again."));
  input.focus();
}
