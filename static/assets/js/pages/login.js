// @ts-check
/// <reference lib="dom" />
/**
 * Sign in: username and password (and the MFA code when the account asks for one), or a
 * service token for automation users (the static token or a `deno task token` JWT). A
 * token is checked before it is kept. An account that must change its password goes to
 * /change-password first.
 */
import * as api from "../api.js";
import { h } from "../dom.js";
import { errorBox } from "../ui.js";

export const title = "Sign in";

/**
 * Only same-site paths may be a post-login target (no open redirect).
 * @param {URLSearchParams} q
 */
export function safeNext(q) {
  const next = q.get("next") ?? "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login")
    ? next
    : "/dashboard";
}

/**
 * What a failed password sign-in tells the person.
 * @param {any} e an ApiError, or whatever else the call threw
 */
export function loginError(e) {
  if (api.statusOf(e) === 401 && /mfa code required/.test(e.message)) return null;
  if (api.statusOf(e) === 401) return "Wrong username, password or code.";
  if (api.statusOf(e) === 429) return `Too many failed sign-ins: ${e.message}.`;
  if (api.statusOf(e) === 503) return `Password sign-in is not available: ${e.message}.`;
  return e?.message ?? String(e);
}

/**
 * @param {string} id
 * @param {string} label
 * @param {Record<string, unknown>} attrs
 * @param {string} [hint]
 */
function field(id, label, attrs, hint) {
  return h(
    "div",
    { class: "form-row", id: `${id}-row` },
    h("label", { for: id }, label),
    h("input", { id, name: id, ...attrs, "aria-describedby": hint ? `${id}-hint` : undefined }),
    hint ? h("p", { id: `${id}-hint`, class: "hint" }, hint) : null,
  );
}

/** @param {URLSearchParams} query @param {import("../routes.js").PageContext["navigate"]} navigate */
function passwordForm(query, navigate) {
  const status = h("div", { id: "password-status" });
  const user = field("username", "Username", {
    type: "text",
    required: true,
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
  });
  const pass = field("password", "Password", {
    type: "password",
    required: true,
    autocomplete: "current-password",
  });
  const code = field("mfa-code", "Authentication code", {
    type: "text",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]{6}",
    maxlength: "6",
  }, "The 6-digit code from your authenticator app.");
  code.hidden = true;
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-primary", id: "password-submit" },
    "Sign in",
  );
  /** @param {HTMLElement} row */
  const input = (row) => /** @type {HTMLInputElement} */ (row.querySelector("input"));
  return h(
    "form",
    {
      class: "card login",
      id: "password-form",
      "aria-labelledby": "page-title",
      onsubmit: async (ev) => {
        ev.preventDefault();
        status.replaceChildren();
        submit.disabled = true;
        try {
          /** @type {{username: string, password: string, code?: string}} */
          const body = { username: input(user).value.trim(), password: input(pass).value };
          if (!code.hidden) body.code = input(code).value.trim();
          const session = await api.login(body);
          api.setToken(session.token);
          const next = safeNext(query);
          navigate(
            session.must_change_pw ? `/change-password?next=${encodeURIComponent(next)}` : next,
            { replace: true },
          );
        } catch (e) {
          const msg = loginError(e);
          if (msg === null) {
            // The password was right; this account also needs its second factor.
            code.hidden = false;
            input(code).required = true;
            status.append(
              h("p", { class: "note", role: "status" }, "Enter your authentication code."),
            );
            input(code).focus();
          } else {
            status.append(errorBox(msg));
            (code.hidden ? input(pass) : input(code)).focus();
          }
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h1", { id: "page-title", tabindex: "-1" }, "Sign in to kanade"),
    user,
    pass,
    code,
    status,
    h("div", { class: "actions" }, submit),
  );
}

/** @param {URLSearchParams} query @param {import("../routes.js").PageContext["navigate"]} navigate */
function tokenForm(query, navigate) {
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
    { type: "submit", class: "btn", id: "login-submit" },
    "Sign in with token",
  );
  const form = h(
    "form",
    {
      class: "card login",
      id: "token-form",
      "aria-labelledby": "token-title",
      onsubmit: async (ev) => {
        ev.preventDefault();
        const token = input.value.trim();
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
          const msg = api.statusOf(e) === 401
            ? "The backend rejected this token (401). Check that it is the static token or an unexpired JWT with aud=kanade."
            : api.statusOf(e) === 403
            ? "This token is valid but not allowed to read the fleet (403)."
            : null;
          status.append(errorBox(msg ?? e));
          input.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "token-title" }, "Service token"),
    h(
      "div",
      { class: "form-row" },
      h("label", { for: "token" }, "API token"),
      input,
      h(
        "p",
        { id: "token-hint", class: "hint" },
        "For automation users: the backend's static token or a service JWT. It is kept in this browser's local storage only.",
      ),
    ),
    status,
    h("div", { class: "actions" }, submit),
  );
  return form;
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main, query, navigate }) {
  const pw = passwordForm(query, navigate);
  main.append(pw, tokenForm(query, navigate));
  if (query.get("expired")) {
    pw.querySelector("#password-status")?.append(
      errorBox("Your session ended. Please sign in again."),
    );
  }
  /** @type {HTMLElement} */ (pw.querySelector("#username")).focus();
}
