// @ts-check
/// <reference lib="dom" />
/**
 * Your account: who you are, your password, and MFA (TOTP). Enrolling shows the
 * otpauth URI as a QR code the backend renders (SVG, no external service) and the secret
 * as text, then asks for one code to confirm the authenticator has it.
 */
import * as api from "../api.js";
import * as session from "../session.js";
import { h, mount } from "../dom.js";
import { actionButton, card, errorBox, facts, pageHeader, toast } from "../ui.js";

export const title = "Account";

/**
 * The QR code as an image (a data URL: the SVG's markup never becomes page DOM).
 * @param {string} svg
 */
export function qrImage(svg) {
  return h("img", {
    id: "mfa-qr",
    class: "qr",
    src: `data:image/svg+xml;base64,${btoa(svg)}`,
    alt: "QR code of the authenticator secret (the same secret is shown as text below)",
    width: "200",
    height: "200",
  });
}

/** @param {string} id @param {string} label */
function codeField(id, label) {
  return h(
    "div",
    { class: "form-row" },
    h("label", { for: id }, label),
    h("input", {
      id,
      name: id,
      type: "text",
      required: true,
      inputmode: "numeric",
      autocomplete: "one-time-code",
      pattern: "[0-9]{6}",
      maxlength: "6",
    }),
  );
}

/**
 * @param {{secret: string, qr_svg: string}} proposal
 * @param {boolean} rotating
 * @param {() => Promise<void>} done
 */
function enrolForm(proposal, rotating, done) {
  const status = h("div", { id: "mfa-status" });
  /** @param {HTMLFormElement} form @param {string} id */
  const val = (form, id) =>
    /** @type {HTMLInputElement} */ (form.querySelector(`#${id}`)).value.trim();
  return h(
    "form",
    {
      id: "mfa-enrol",
      onsubmit: async (ev) => {
        ev.preventDefault();
        const form = /** @type {HTMLFormElement} */ (ev.currentTarget);
        status.replaceChildren();
        try {
          await api.mfaVerify({
            secret: proposal.secret,
            code: val(form, "mfa-new-code"),
            ...(rotating ? { current_code: val(form, "mfa-current-code") } : {}),
          });
          toast("Two-factor sign-in is on.", "ok");
          await done();
        } catch (e) {
          status.append(errorBox(e));
        }
      },
    },
    h(
      "p",
      null,
      "Scan this code with an authenticator app (or type the secret), then enter the code it shows.",
    ),
    qrImage(proposal.qr_svg),
    facts([["Secret", h("code", { id: "mfa-secret" }, proposal.secret)]]),
    rotating ? codeField("mfa-current-code", "Code from your current authenticator") : null,
    codeField("mfa-new-code", "Code from the new authenticator"),
    status,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary", id: "mfa-confirm" }, "Turn on"),
    ),
  );
}

/** @param {any} me @param {HTMLElement} el */
function mfaSection(me, el) {
  const refresh = async () => {
    await session.refresh();
    mount(el, mfaSection(session.current(), el));
  };
  /** @param {boolean} rotating */
  const start = (rotating) =>
    actionButton(rotating ? "Replace authenticator" : "Set up authenticator", async () => {
      const proposal = await api.mfaInit();
      mount(el, enrolForm(proposal, rotating, refresh));
      /** @type {HTMLElement|null} */ (el.querySelector("#mfa-current-code, #mfa-new-code"))
        ?.focus();
    }, { id: rotating ? "mfa-replace" : "mfa-start", class: "btn btn-primary" });
  if (!me.mfa) {
    return [
      h("p", { id: "mfa-state" }, "Two-factor sign-in is off."),
      h("div", { class: "actions" }, start(false)),
    ];
  }
  const status = h("div", { id: "mfa-status" });
  return [
    h(
      "p",
      { id: "mfa-state" },
      "Two-factor sign-in is on: signing in needs a code from your authenticator.",
    ),
    h(
      "form",
      {
        id: "mfa-disable",
        onsubmit: async (ev) => {
          ev.preventDefault();
          status.replaceChildren();
          const code = /** @type {HTMLInputElement} */ (el.querySelector("#mfa-disable-code")).value
            .trim();
          try {
            await api.mfaDisable(code);
            toast("Two-factor sign-in is off.", "ok");
            await refresh();
          } catch (e) {
            status.append(errorBox(e));
          }
        },
      },
      codeField("mfa-disable-code", "Current code"),
      status,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "btn btn-danger", id: "mfa-off" }, "Turn off"),
        start(true),
      ),
    ),
  ];
}

/** @param {import("../routes.js").PageContext} ctx */
export function render({ main }) {
  const me = session.current();
  main.append(pageHeader(title));
  if (!me) {
    main.append(errorBox("Could not read who you are."));
    return;
  }
  const who = card("You", facts([["Username", me.username], ["Role", me.role]]));
  if (!me.account) {
    main.append(
      who,
      h(
        "p",
        { class: "note", role: "note", id: "no-account" },
        me.username === "auth-disabled"
          ? "Authentication is disabled on this backend (development): there is no account to manage."
          : "You signed in with a service token: it has no password or two-factor sign-in to manage.",
      ),
    );
    return;
  }
  const mfa = h("div", { id: "mfa" });
  mount(mfa, mfaSection(me, mfa));
  main.append(
    who,
    card(
      "Password",
      h("p", null, "Changing it signs out your other sessions."),
      h(
        "a",
        { class: "btn", href: "/change-password?next=/account", id: "change-password-link" },
        "Change password",
      ),
    ),
    card("Two-factor sign-in (TOTP)", mfa),
  );
}
