/// <reference lib="dom" />
/**
 * The Alerts page in Chromium against the real backend (every projector and the scheduler,
 * whose leader runs the alert engine), a private broker, simulated agents and a real local
 * webhook receiver: rules created through the form (signed, scoped), a check result that
 * fails on a PC delivered to one receiver and failing at the other (the list shows the
 * counts and the last error live), a rule's delivery history with its status filter in
 * the URL, edit (the stored secret kept), disable/enable, delete with the confirm dialog;
 * axe and keyboard in light and dark; a viewer's read-only view with the URL redacted.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { waitFor } from "../helpers/backend.ts";
import { jobResult, publishAndSettle } from "../helpers/results.ts";
import { startReceiver } from "../helpers/webhook_receiver.ts";
import { mintJwt } from "../../lib/auth.ts";
import { assertKeyboardUsable, chromiumTest, nav, screenshot } from "./browser.ts";
import { confirm, httpError, noConsoleErrors, pathIs, signIn, startEnv, stopEnv } from "./env.ts";

const PCS = ["PC-A1", "PC-A2"];
const JWT_SECRET = "alerts-pages-secret-0123456789abcdef";
const HMAC = "page-made-secret-0123456789";

const textOf = async (page: Page, sel: string) => (await page.textContent(sel)) ?? "";
const rowOf = (page: Page, rule: string) =>
  page.$eval(
    "#alerts-list tbody",
    (tb, name) =>
      [...tb.querySelectorAll("tr")].find((tr) => tr.querySelector("strong")?.textContent === name)
        ?.textContent ?? "",
    rule,
  );

chromiumTest(
  "alerts page in Chromium: create, live deliveries, history, edit, disable, delete, viewer",
  async (t) => {
    const rx = startReceiver();
    const env = await startEnv({
      backend: { projectors: true, scheduler: true, env: { KANADE_JWT_SECRET: JWT_SECRET } },
      pcs: PCS,
      groups: { "PC-A1": ["lab"] },
      seed: 31,
    });
    const { page, url, be } = env;
    try {
      await t.step("create two rules through the form", async () => {
        await be.json("POST", "/api/jobs", {
          id: "chk-bitlocker",
          version: "1.0.0",
          execute: { shell: "powershell", script: "Test-BitLocker", timeout: "60s" },
          check: { name: "bitlocker", label: "BitLocker on" },
        });
        await signIn(page, url, be.token);
        await nav(page, "Alerts", "/alerts");
        await page.waitForSelector("#alerts-list p.empty");
        assert.match(await textOf(page, "#alerts-list"), /No alert rules yet/);

        // A problem the page itself catches, with the form's words.
        await page.fill("#alert-name", "lab-fails");
        await page.uncheck("#alert-ev-check_fail");
        await page.fill("#alert-url", rx.url("/ok"));
        await page.click("#alert-submit");
        await page.waitForSelector("#alert-form-status .error-box");
        assert.match(await textOf(page, "#alert-form-status"), /at least one event/);

        await page.check("#alert-ev-check_fail");
        await page.check("#alert-ev-agent_offline");
        await page.selectOption("#alert-scope-kind", "groups");
        await page.fill("#alert-scope-list", "lab");
        await page.fill("#alert-secret", HMAC);
        await page.click("#alert-submit");
        await page.waitForFunction(() =>
          /lab-fails/.test(document.querySelector("#alerts-list")?.textContent ?? "")
        );
        // The backend's refusal shows next to the form.
        await page.fill("#alert-name", "down-hook");
        await page.fill("#alert-url", rx.url("/down"));
        await page.fill("#alert-attempts", "2");
        await page.fill("#alert-secret", "short");
        await env.watch.expecting([httpError(400)], async () => {
          await page.click("#alert-submit");
          await page.waitForSelector("#alert-form-status .error-box");
        });
        assert.match(await textOf(page, "#alert-form-status"), /400 · .*secret/);
        await page.fill("#alert-secret", "");
        await page.click("#alert-submit");
        await page.waitForFunction(() =>
          /down-hook/.test(document.querySelector("#alerts-list")?.textContent ?? "")
        );
        const row = await rowOf(page, "lab-fails");
        assert.match(row, /groups lab/);
        assert.match(row, /signed/);
        assert.match(row, /check fail, agent offline/);
        assert.match(await rowOf(page, "down-hook"), /none yet/);
        noConsoleErrors(env, "alerts create");
      });

      await t.step(
        "a failing check is delivered; the list shows counts and the last error live",
        async () => {
          // The engine's first pass sets its cursor: transitions after it fire.
          await waitFor(async () => {
            const rs = await be.deps.db.execute(
              "SELECT 1 FROM alert_state WHERE key = 'check_cursor'",
            );
            return rs.rows.length === 1;
          }, { timeoutMs: 20_000, what: "the alert engine's first pass" });
          await publishAndSettle(
            be,
            jobResult("PC-A1", "chk-bitlocker", { stdout: '{"status":"fail","detail":"C: off"}' }),
            jobResult("PC-A2", "chk-bitlocker", { stdout: '{"status":"fail","detail":"C: off"}' }),
          );
          await waitFor(() => rx.on("/ok").length === 1, { timeoutMs: 20_000, what: "delivery" });
          const body = JSON.parse(rx.on("/ok")[0].body);
          assert.equal(body.pc_id, "PC-A1", "scope: the lab group only");
          assert.match(rx.on("/ok")[0].headers.get("x-kanade-signature") ?? "", /^sha256=/);
          await page.waitForFunction(
            () => {
              const t = document.querySelector("#alerts-list")?.textContent ?? "";
              return /1 delivered/.test(t) && /2 failed/.test(t) && /HTTP 500: boom/.test(t);
            },
            undefined,
            { timeout: 30_000 },
          );
          await screenshot(page, "a01-alerts");
          noConsoleErrors(env, "alerts deliveries");
        },
      );

      await t.step(
        "a rule's deliveries: attempts, HTTP status, last error, status filter",
        async () => {
          await page.click('a[aria-label="Deliveries of down-hook"]');
          await page.waitForSelector("#alert-deliveries tbody tr");
          const rows = await page.$$eval(
            "#alert-deliveries tbody tr",
            (trs) => trs.map((tr) => tr.textContent ?? ""),
          );
          assert.equal(rows.length, 2);
          for (const r of rows) {
            assert.match(r, /failed/);
            assert.match(r, /HTTP 500: boom/);
            assert.match(r, /bitlocker/);
          }
          assert.equal(
            await page.$eval(
              "#alert-deliveries tbody tr td[data-label=Attempts]",
              (td) => td.textContent,
            ),
            "2",
          );
          await page.selectOption("#deliveries-status", "delivered");
          await page.waitForSelector("#alert-deliveries p.empty");
          assert.equal(new URL(page.url()).search, "?rule=down-hook&status=delivered");
          await page.click("text=Close deliveries");
          await pathIs(page, /^\/alerts$/);
          noConsoleErrors(env, "alerts history");
        },
      );

      await t.step("edit keeps the stored secret; disable and enable; delete", async () => {
        await page.waitForSelector('button[aria-label="Edit lab-fails"]');
        await page.click('button[aria-label="Edit lab-fails"]');
        await page.waitForSelector("#alert-name[readonly]");
        assert.equal(await page.inputValue("#alert-name"), "lab-fails");
        assert.equal(await page.inputValue("#alert-scope-list"), "lab");
        assert.match(await textOf(page, "#alert-form"), /A secret is stored/);
        await page.fill("#alert-description", "BitLocker off in the lab");
        await page.click("#alert-submit");
        await page.waitForFunction(() =>
          /BitLocker off in the lab/.test(document.querySelector("#alerts-list")?.textContent ?? "")
        );
        const rule = await be.json<{ webhook: { has_secret: boolean } }>(
          "GET",
          "/api/alerts/lab-fails",
        );
        assert.equal(rule.webhook.has_secret, true, "the secret was kept");

        await page.click('button[aria-label="Disable down-hook"]');
        await page.waitForSelector('button[aria-label="Enable down-hook"]');
        assert.match(await rowOf(page, "down-hook"), /disabled/);
        await page.click('button[aria-label="Enable down-hook"]');
        await page.waitForSelector('button[aria-label="Disable down-hook"]');

        await confirm(page, 'button[aria-label="Delete down-hook"]');
        await page.waitForFunction(() =>
          !/down-hook/.test(document.querySelector("#alerts-list")?.textContent ?? "")
        );
        noConsoleErrors(env, "alerts edit");
      });

      await t.step("keyboard and accessibility, light and dark", async () => {
        for (const scheme of ["light", "dark"] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          for (const p of ["/alerts", "/alerts?rule=lab-fails"]) {
            // axe checks both themes in the first pass; the second repeats the keyboard.
            await assertKeyboardUsable(page, `${url}${p}`, { axe: scheme === "light" });
          }
        }
        await screenshot(page, "a02-alerts-dark");
        await page.emulateMedia({ colorScheme: "light" });
        noConsoleErrors(env, "alerts a11y");
      });

      await t.step(
        "a viewer reads the rules without write controls, the URL redacted",
        async () => {
          const viewer = await mintJwt(JWT_SECRET, {
            sub: "vera",
            roles: ["viewer"],
            ttlSecs: 600,
          });
          await signIn(page, url, viewer);
          await nav(page, "Alerts", "/alerts");
          await page.waitForSelector("#alerts-list tbody tr");
          assert.match(await textOf(page, "main"), /Read-only: your role can view this page/);
          assert.equal(await page.$("#alert-form"), null);
          assert.equal(await page.$('button[aria-label="Edit lab-fails"]'), null);
          const row = await rowOf(page, "lab-fails");
          assert.match(row, /http:\/\/127\.0\.0\.1:\d+\/…/);
          assert.ok(!row.includes("/ok"));
          noConsoleErrors(env, "alerts viewer");
        },
      );
    } finally {
      await stopEnv(env);
      await rx.stop();
    }
  },
);
