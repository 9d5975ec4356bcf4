/// <reference lib="dom" />
/**
 * The Notifications and App packages pages in Chromium against the real backend (every
 * projector), a private broker and simulated agents: compose with the Exec page's target
 * picker, the detail page's ack progress moving live as PCs acknowledge, recall; upload
 * with the browser's upload progress, list, download, delete; keyboard and accessibility
 * checks in light and dark; the read-only view of a viewer token.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { Page } from "playwright-core";
import { waitFor } from "../helpers/backend.ts";
import { mintJwt } from "../../lib/auth.ts";
import { subjects } from "../../wire/names.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { wireTs } from "../../wire/time.ts";
import { assertKeyboardUsable, chromiumTest, nav, screenshot } from "./browser.ts";
import { confirm, noConsoleErrors, pathIs, signIn, startEnv, stopEnv } from "./env.ts";
import { notifySettings } from "../../simulator/notifications.ts";

const PCS = ["PC-N1", "PC-N2", "PC-N3"];
const GROUPS: Record<string, string[]> = {
  "PC-N1": ["canary"],
  "PC-N2": ["canary"],
  "PC-N3": ["lab"],
};
const JWT_SECRET = "notify-pages-secret-0123456789abcdef";

const textOf = async (page: Page, sel: string) => (await page.textContent(sel)) ?? "";

chromiumTest(
  "notification and package pages in Chromium: compose, live acks, recall, upload, download",
  async (t) => {
    // The simulated users acknowledge nothing here: the test sends each ack itself, to watch
    // the progress move one step at a time.
    const ackShare = notifySettings.ackShare;
    notifySettings.ackShare = 0;
    const env = await startEnv({
      backend: { projectors: true, env: { KANADE_JWT_SECRET: JWT_SECRET } },
      pcs: PCS,
      groups: GROUPS,
      seed: 17,
    });
    const { page, url, be } = env;
    let id = "";
    try {
      await t.step(
        "compose: the target picker resolves the audience; sending opens the detail",
        async () => {
          await signIn(page, url, be.token);
          await nav(page, "Notifications", "/notifications");
          await page.waitForSelector("#notify-title");
          await page.fill("#notify-title", "Network maintenance");
          await page.fill("#notify-body", "22:00–22:30 the network is down.");
          await page.selectOption("#notify-priority", "warn");
          await page.check("#notify-require-ack");
          await page.check("#notify-target-groups");
          await page.fill("#notify-groups", "canary");
          await page.waitForFunction(() =>
            /Resolves to 2 alive PCs/.test(
              document.querySelector("#notify-resolved")?.textContent ?? "",
            )
          );
          // The page checks the expiry before sending, with the backend's words.
          await page.fill("#notify-expires", "2020-01-01T10:00");
          await page.click("#notify-submit");
          await page.waitForSelector("#notify-status .error-box");
          assert.match(await textOf(page, "#notify-status"), /expires_at must be in the future/);
          await page.fill("#notify-expires", "");
          await screenshot(page, "n01-notification-compose");
          await page.click("#notify-submit");
          await pathIs(page, /^\/notifications\/[0-9a-f-]{36}$/);
          id = new URL(page.url()).pathname.split("/").pop()!;
          await page.waitForSelector("#notify-progress-text");
          assert.equal(await textOf(page, "#notify-detail-title"), "Network maintenance");
          assert.match(await textOf(page, "#notify-progress-text"), /^0 of 2 PCs acknowledged$/);
          noConsoleErrors(env, "notification compose");
        },
      );

      await t.step("the ack progress moves live as PCs acknowledge", async () => {
        for (const [i, pc] of ["PC-N1", "PC-N2"].entries()) {
          await be.deps.nats.js.publish(
            subjects.eventsNotificationsAcked(pc, "S-1-5-21-7", id),
            jsonBytes({
              notification_id: id,
              pc_id: pc,
              user_sid: "S-1-5-21-7",
              acked_at: wireTs(Date.now()),
              account: "CORP\\alice",
            }),
          );
          // No reload: the change feed brings it.
          await page.waitForFunction(
            (want) => document.querySelector("#notify-progress-text")?.textContent === want,
            `${i + 1} of 2 PCs acknowledged`,
          );
        }
        assert.equal(await page.getAttribute("#notify-progress", "aria-valuenow"), "2");
        await screenshot(page, "n02-notification-acked");
        await nav(page, "Notifications", "/notifications");
        await page.waitForSelector("#notifications-list tbody tr");
        const row = await textOf(page, "#notifications-list tbody tr");
        assert.match(row, /Network maintenance/);
        assert.match(row, /active/);
        assert.match(row, /group canary/);
        noConsoleErrors(env, "notification acks");
      });

      await t.step("recall: the notification turns recalled", async () => {
        await page.click(`#notifications-list a[href="/notifications/${id}"]`);
        await page.waitForSelector("#notify-recall");
        await confirm(page, "#notify-recall");
        await page.waitForFunction(() =>
          /recalled/.test(document.querySelector("#notify-detail-status")?.textContent ?? "")
        );
        assert.equal(await page.$("#notify-recall"), null, "no second recall");
        noConsoleErrors(env, "notification recall");
      });

      const pkg = new Uint8Array(3 * 1024 * 1024 + 99).map((_, i) => (i * 31 + 7) & 0xff);
      const digest = `SHA-256=${createHash("sha256").update(pkg).digest("base64url")}=`;
      await t.step("upload with progress, list with size and digest, download", async () => {
        await nav(page, "App packages", "/packages");
        await page.fill("#pkg-name", "office");
        await page.fill("#pkg-version", "2024.1");
        await page.setInputFiles("#pkg-file", {
          name: "office.msi",
          mimeType: "application/octet-stream",
          buffer: Buffer.from(pkg),
        });
        // Record every progress value the page shows while the bytes go out.
        await page.evaluate(() => {
          const seen: string[] = [];
          (globalThis as unknown as { pkgSeen: string[] }).pkgSeen = seen;
          new MutationObserver(() => {
            const v = document.querySelector("#pkg-progress-bar")?.getAttribute("aria-valuenow");
            if (v && seen.at(-1) !== v) seen.push(v);
          }).observe(document.body, { subtree: true, childList: true, attributes: true });
        });
        await page.click("#pkg-submit");
        await page.waitForSelector("#pkg-done");
        const seen = await page.evaluate(() =>
          (globalThis as unknown as { pkgSeen: string[] }).pkgSeen
        );
        assert.ok(seen.length >= 1, "a progress bar was shown");
        assert.ok(seen.some((v) => Number(v) > 0), `progress moved: ${seen.join(",")}`);
        await page.waitForSelector("#packages-list tbody tr");
        const row = await textOf(page, "#packages-list tbody tr");
        assert.match(row, /office/);
        assert.match(row, /2024\.1/);
        assert.match(row, /3\.0 MiB|3 MiB/);
        assert.equal(
          await page.getAttribute("#packages-list tbody tr code[title]", "title"),
          digest,
        );
        await screenshot(page, "n03-packages");
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.click('button[aria-label="Download office 2024.1"]'),
        ]);
        assert.equal(download.suggestedFilename(), "office-2024.1");
        const saved = await Deno.readFile(await download.path());
        assert.equal(saved.length, pkg.length);
        assert.ok(saved.every((b, i) => b === pkg[i]), "downloaded bytes are the uploaded ones");
        noConsoleErrors(env, "packages upload");
      });

      await t.step("keyboard and accessibility, light and dark", async () => {
        for (const scheme of ["light", "dark"] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          for (const p of ["/notifications", `/notifications/${id}`, "/packages"]) {
            // axe checks both themes in the first pass; the second repeats the keyboard.
            await assertKeyboardUsable(page, `${url}${p}`, { axe: scheme === "light" });
          }
        }
        await screenshot(page, "n04-packages-dark");
        await page.emulateMedia({ colorScheme: "light" });
        noConsoleErrors(env, "notification pages a11y");
      });

      await t.step("delete a package", async () => {
        await page.goto(`${url}/packages`);
        await page.waitForSelector("#packages-list tbody tr");
        await confirm(page, 'button[aria-label="Delete office 2024.1"]');
        await page.waitForSelector("#packages-list .empty");
        await waitFor(async () => {
          const r = await be.request("/api/app-packages/office/2024.1");
          await r.body?.cancel();
          return r.status === 404;
        });
        noConsoleErrors(env, "packages delete");
      });

      await t.step("a viewer sees both pages without their write controls", async () => {
        const viewer = await mintJwt(JWT_SECRET, { sub: "vera", roles: ["viewer"], ttlSecs: 600 });
        await signIn(page, url, viewer);
        await page.goto(`${url}/notifications`);
        await page.waitForSelector("#notifications-list tbody tr");
        assert.equal(await page.$("#notify-submit"), null);
        assert.match(await textOf(page, "#notify-compose"), /Read-only/);
        await page.goto(`${url}/notifications/${id}`);
        await page.waitForSelector("#notify-progress-text");
        assert.equal(await page.$("#notify-recall"), null);
        await page.goto(`${url}/packages`);
        await page.waitForSelector("#packages-list .empty");
        assert.equal(await page.$("#pkg-submit"), null);
        noConsoleErrors(env, "viewer");
      });
    } finally {
      await stopEnv(env);
      notifySettings.ackShare = ackShare;
    }
  },
);
