/// <reference lib="dom" />
/**
 * Accounts in the dashboard, in Chromium against the real backend: password sign-in of
 * the bootstrap admin and its forced password change, the signed-in user and role in the
 * header, the admin's /accounts page (create, role, disable, reset, clear MFA, delete,
 * the last-admin 409 explained), MFA enrolment on /account with a QR code and a code
 * computed by the test, sign-out and sign-in with the code, a viewer's view, and a
 * backend with auth disabled opening without any sign-in. Keyboard and labels are
 * checked on every new page, light and dark.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startTestBackend } from "../helpers/backend.ts";
import { accountsEnv, BOOT_PASSWORD, call, tokenFor } from "../helpers/accounts.ts";
import { totpCode } from "../../lib/accounts/totp.ts";
import type { AccountsDeps } from "../../lib/accounts/context.ts";
import { axeBothThemes } from "./a11y.ts";
import { assertKeyboardUsable, chromiumTest, launchBrowser, nav, screenshot } from "./browser.ts";
import { httpError, noConsoleErrors, pathIs, startEnv, stopEnv } from "./env.ts";

const text = async (page: Page, sel: string) => (await page.textContent(sel)) ?? "";

async function signInWithPassword(page: Page, url: string, user: string, pw: string) {
  await page.goto(`${url}/login`);
  await page.waitForSelector("#username");
  await page.fill("#username", user);
  await page.fill("#password", pw);
  await page.click("#password-submit");
}

chromiumTest(
  "dashboard accounts in Chromium: sign-in, forced change, accounts admin, MFA, viewer",
  async (t) => {
    const env = await startEnv({
      backend: { projectors: true, env: accountsEnv() },
      pcs: ["PC-0001"],
      groups: {},
      seed: 5,
    });
    const { page, url, be } = env;
    // The server's clock, moved forward a TOTP step at a time (codes are accepted once).
    let shift = 0;
    (be.deps as AccountsDeps).now = () => Date.now() + shift;
    const code = (secret: string) => totpCode(secret, Date.now() + shift);
    try {
      await t.step("the bootstrap admin signs in and must change its password first", async () => {
        await page.goto(`${url}/accounts`);
        await pathIs(page, /^\/login$/);
        await page.waitForSelector("#username");
        assert.deepEqual(await axeBothThemes(page), []);
        await screenshot(page, "acc-01-login");
        await env.watch.expecting([httpError(401)], async () => {
          await signInWithPassword(page, url, "admin", "not-the-password");
          await page.waitForSelector("#password-status .error-box");
        });
        assert.match(await text(page, "#password-status"), /Wrong username, password or code/);
        await signInWithPassword(page, url, "admin", BOOT_PASSWORD);
        await pathIs(page, /^\/change-password$/);
        await page.waitForSelector("#change-forced");
        // Any other page sends the user back here until the password is changed.
        await page.goto(`${url}/agents`);
        await pathIs(page, /^\/change-password$/);
        await assertKeyboardUsable(page, `${url}/change-password?next=%2Faccounts`);
        await page.fill("#current-password", BOOT_PASSWORD);
        await page.fill("#new-password", "admin-password-2");
        await page.fill("#confirm-password", "admin-password-x");
        await page.click("#change-submit");
        assert.match(await text(page, "#change-status"), /differ/);
        await page.fill("#confirm-password", "admin-password-2");
        await page.click("#change-submit");
        await pathIs(page, /^\/accounts$/);
        await page.waitForSelector("#accounts-list table");
        assert.equal(await text(page, "#identity"), "admin (admin)");
        assert.equal(await page.isHidden("#readonly-banner"), true);
        noConsoleErrors(env, "first sign-in");
      });

      await t.step("accounts page: create, change role, the 409 guard, reset, delete", async () => {
        await page.fill("#new-username", "vic");
        await page.fill("#new-password", "vic-password-1");
        await page.selectOption("#new-role", "viewer");
        await page.click("#create-submit");
        await page.waitForSelector("#role-vic");
        await page.fill("#new-username", "ola");
        await page.fill("#new-password", "ola-password-1");
        await page.selectOption("#new-role", "operator");
        await page.click("#create-submit");
        await page.waitForSelector("#role-ola");
        // The only enabled admin cannot be disabled: the page says why.
        await env.watch.expecting([httpError(409)], async () => {
          await page.click('button[aria-label="Disable admin"]');
          await page.waitForSelector("#accounts-status .error-box");
        });
        assert.match(
          await text(page, "#accounts-status"),
          /cannot disable the last enabled admin: kanade always keeps one enabled admin/,
        );
        await page.selectOption("#role-ola", "admin");
        await page.waitForSelector(".toast-ok:has-text('ola is now admin')");
        const rows = await be.json<{ username: string; role: string }[]>("GET", "/api/accounts");
        assert.equal(rows.find((r) => r.username === "ola")?.role, "admin");
        // Reset vic's password through the dialog.
        await page.click('button[aria-label="Reset password of vic"]');
        await page.fill("#reset-password", "vic-reset-pw-2");
        await page.click("dialog button[value=ok]");
        await page.waitForFunction(() =>
          [...document.querySelectorAll("#accounts-list tr")].some((tr) =>
            tr.textContent?.includes("vic") && tr.textContent.includes("must change password")
          )
        );
        // Delete ola.
        await page.click('button[aria-label="Delete ola"]');
        await page.click("dialog button[value=ok]");
        await page.waitForFunction(() => !document.querySelector("#role-ola"));
        await assertKeyboardUsable(page, `${url}/accounts`);
        await screenshot(page, "acc-02-accounts");
        noConsoleErrors(env, "accounts page");
      });

      let secret = "";
      await t.step("MFA: enrol with the QR code, sign out, sign in with a code", async () => {
        await page.goto(`${url}/account`);
        await page.waitForSelector("#mfa-start");
        assert.match(await text(page, "#mfa-state"), /off/);
        await page.click("#mfa-start");
        await page.waitForSelector("#mfa-qr");
        const src = await page.getAttribute("#mfa-qr", "src") ?? "";
        assert.match(src, /^data:image\/svg\+xml;base64,/);
        const loaded = await page.$eval("#mfa-qr", (img) => (img as HTMLImageElement).naturalWidth);
        assert.ok(loaded > 0, "the QR code renders");
        secret = await text(page, "#mfa-secret");
        assert.match(secret, /^[A-Z2-7]{32}$/);
        assert.deepEqual(await axeBothThemes(page), []);
        await screenshot(page, "acc-03-mfa-enrol");
        await page.fill("#mfa-new-code", code(secret));
        await page.click("#mfa-confirm");
        await page.waitForFunction(() =>
          /on:/.test(document.querySelector("#mfa-state")?.textContent ?? "")
        );
        await assertKeyboardUsable(page, `${url}/account`);

        await page.click("#signout");
        await pathIs(page, /^\/login$/);
        assert.equal(await page.evaluate(() => localStorage.getItem("kanade_token")), null);
        await env.watch.expecting([httpError(401)], async () => {
          await signInWithPassword(page, url, "admin", "admin-password-2");
          await page.waitForSelector("#mfa-code-row:not([hidden])");
        });
        assert.equal(await page.evaluate(() => document.activeElement?.id), "mfa-code");
        await screenshot(page, "acc-04-login-code");
        shift += 30_000; // the enrolment code is used up: the next step's code
        await page.fill("#mfa-code", code(secret));
        await page.click("#password-submit");
        await pathIs(page, /^\/dashboard$/);
        noConsoleErrors(env, "MFA sign-in");
      });

      await t.step("MFA: turn it off on /account with a current code", async () => {
        await page.goto(`${url}/account`);
        await page.waitForSelector("#mfa-disable-code");
        shift += 30_000;
        await page.fill("#mfa-disable-code", code(secret));
        await page.click("#mfa-off");
        await page.waitForSelector("#mfa-start");
        noConsoleErrors(env, "MFA off");
      });

      await t.step("an admin clears someone else's authenticator", async () => {
        // vic enrols through the API (its password was reset: change it first).
        let vic = await tokenFor(be, "vic", "vic-reset-pw-2");
        const changed = await call(be, vic, "POST", "/api/auth/change-password", {
          old_password: "vic-reset-pw-2",
          new_password: "vic-password-3",
        });
        vic = changed.headers.get("x-kanade-token")!;
        const init = await call(be, vic, "POST", "/api/auth/mfa/init");
        const s = init.body.secret as string;
        shift += 30_000;
        assert.equal(
          (await call(be, vic, "POST", "/api/auth/mfa/verify", { secret: s, code: code(s) }))
            .status,
          204,
        );
        await page.goto(`${url}/accounts`);
        await page.click('button[aria-label="Clear MFA of vic"]');
        await page.click("dialog button[value=ok]");
        await page.waitForFunction(() =>
          !document.querySelector('button[aria-label="Clear MFA of vic"]')
        );
        const me = await call(be, vic, "GET", "/api/auth/me");
        assert.equal(me.body.mfa, false);
        noConsoleErrors(env, "clear MFA");
      });

      await t.step("a viewer: role in the header, read-only, no Accounts menu", async () => {
        await page.click("#signout");
        await signInWithPassword(page, url, "vic", "vic-password-3");
        await pathIs(page, /^\/dashboard$/);
        await page.waitForFunction(() =>
          document.querySelector("#identity")?.textContent === "vic (viewer)"
        );
        assert.equal(await page.isVisible("#readonly-banner"), true);
        assert.equal(await page.isHidden('#nav a[href="/accounts"]'), true);
        assert.equal(await page.isHidden("#nav-group-admin"), true);
        await nav(page, "Agents", "/agents");
        noConsoleErrors(env, "viewer");
      });

      await t.step("dark theme: the new pages keep their labels and focus", async () => {
        await page.emulateMedia({ colorScheme: "dark" });
        await page.click("#signout");
        await signInWithPassword(page, url, "admin", "admin-password-2");
        await pathIs(page, /^\/dashboard$/);
        for (
          const [path, name] of [["/accounts", "acc-05-accounts-dark"], [
            "/account",
            "acc-06-account-dark",
          ]]
        ) {
          await assertKeyboardUsable(page, `${url}${path}`);
          await screenshot(page, name);
        }
        await page.click("#signout");
        await assertKeyboardUsable(page, `${url}/login`);
        await screenshot(page, "acc-07-login-dark");
        await page.emulateMedia({ colorScheme: "light" });
        noConsoleErrors(env, "dark");
      });
    } finally {
      await stopEnv(env);
    }
  },
);

chromiumTest("dashboard with KANADE_AUTH_DISABLE opens without any sign-in", async () => {
  const be = await startTestBackend({
    env: { KANADE_AUTH_DISABLE: "1", KANADE_AUTH_STATIC_TOKEN: "" },
  });
  const browser = await launchBrowser();
  try {
    const { url } = await be.listen();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${url}/agents`);
    await page.waitForSelector("main h1");
    assert.equal(new URL(page.url()).pathname, "/agents");
    await page.waitForFunction(() =>
      document.querySelector("#identity")?.textContent === "auth-disabled (admin)"
    );
    assert.equal(await page.isHidden("#signout"), true);
    await page.goto(`${url}/login`);
    await page.waitForFunction(() => location.pathname === "/dashboard");
    await page.goto(`${url}/account`);
    await page.waitForSelector("#no-account");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await be.stop();
  }
});
