/// <reference lib="dom" />
/**
 * The Compliance page, the agent page's checks and the Events page's filters in Chromium
 * against the real backend (every projector), a private broker and simulated agents: jobs
 * with a `check:` hint
 * registered through the API, their results published to the RESULTS stream as agents
 * publish them and projected into `check_status`; the cards with their counts and the
 * PCs worst first, a stale row, a new failure arriving live, "show ok", the link from a PC
 * to its agent page and that page's checks, Clear of one PC and of a whole check (confirm
 * dialog, audit); the Events page's include/exclude chips for kinds and sources (sources
 * from /api/obs_events/sources), the payload field filter with its check, all in the URL;
 * the Config page's built-in defaults and, per field, what a global, group or PC scope
 * inherits and from which layer; a viewer's read-only view, axe and keyboard in light and
 * dark.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { waitFor } from "../helpers/backend.ts";
import { jobResult, publishAndSettle } from "../helpers/results.ts";
import { emitEventsYaml } from "../helpers/emit_job.ts";
import { mintJwt } from "../../lib/auth.ts";
import { dbTs } from "../../wire/time.ts";
import { assertKeyboardUsable, chromiumTest, nav, screenshot } from "./browser.ts";
import {
  confirm,
  httpError,
  noConsoleErrors,
  pathIs,
  postYaml,
  signIn,
  startEnv,
  stopEnv,
} from "./env.ts";

const PCS = ["PC-C1", "PC-C2", "PC-C3"];
const JWT_SECRET = "compliance-pages-secret-0123456789abcdef";

const checkJob = (id: string, check: Record<string, unknown>) => ({
  id,
  version: "1.0.0",
  execute: { shell: "powershell", script: "Test-Compliance", timeout: "60s" },
  check,
});
/** Five observability events per PC: three kinds, two sources, a numeric and a text "10". */
const EVENTS_YAML = emitEventsYaml("emit-chips", [
  { kind: "logon", source: "security", payload: { user: "alice", logon_type: 10 } },
  { kind: "logon", source: "agent:test", payload: { user: "bob", logon_type: 2 } },
  { kind: "logon", source: "security", payload: { user: "carol", logon_type: 3 } },
  { kind: "service_stop", source: "agent:test", payload: { service: "Spooler" } },
  { kind: "boot", source: "security", payload: { logon_type: "10" } },
]);
const said = (pc: string, job: string, doc: unknown) =>
  jobResult(pc, job, { stdout: JSON.stringify(doc) });

const textOf = async (page: Page, sel: string) => (await page.textContent(sel)) ?? "";
const rowsOf = (page: Page, card: string) =>
  page.$$eval(
    `${card} tbody tr`,
    (trs) =>
      trs.map((tr) =>
        [...tr.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent?.trim()).join(" ")
      ),
  );

chromiumTest(
  "compliance, events and config pages in Chromium: checks, clear, live, chips, inherited config",
  async (t) => {
    const env = await startEnv({
      backend: { projectors: true, env: { KANADE_JWT_SECRET: JWT_SECRET } },
      pcs: PCS,
      groups: { "PC-C1": ["canary"] },
      seed: 23,
    });
    const { page, url, be } = env;
    try {
      await t.step("cards: counts, PCs worst first, a stale row, detail and time", async () => {
        await be.json(
          "POST",
          "/api/jobs",
          checkJob("chk-bitlocker", {
            name: "bitlocker",
            label: "BitLocker on",
          }),
        );
        await be.json("POST", "/api/jobs", checkJob("chk-disk", { name: "disk" }));
        await publishAndSettle(
          be,
          said("PC-C1", "chk-bitlocker", { status: "fail", detail: "C: not protected" }),
          said("PC-C2", "chk-bitlocker", { status: "ok" }),
          said("PC-C3", "chk-bitlocker", { status: "warn", detail: "suspended" }),
          said("PC-C1", "chk-disk", { status: "ok", detail: "12% used" }),
          jobResult("PC-C2", "chk-disk", { exit_code: 3, stderr: "Get-Volume: access denied" }),
          said("PC-C3", "chk-disk", { status: "ok" }),
        );
        // A PC that stopped reporting 40 days ago (its last word was ok).
        await be.deps.db.execute({
          sql: `INSERT INTO check_status (pc_id, check_name, label, status, detail, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?)`,
          args: ["PC-GONE", "bitlocker", "BitLocker on", "ok", null, dbTs(Date.now() - 40 * 864e5)],
        });
        await signIn(page, url, be.token);
        await nav(page, "Compliance", "/compliance");
        await page.waitForSelector("#check-bitlocker tbody tr");
        assert.equal(await textOf(page, "#check-bitlocker-title"), "BitLocker on · bitlocker");
        assert.equal(
          await textOf(page, "#check-bitlocker ul.kv-list"),
          "1 fail1 warn0 unknown1 stale1 ok",
        );
        assert.deepEqual(await rowsOf(page, "#check-bitlocker"), [
          "PC-C1 fail",
          "PC-C3 warn",
          "PC-GONE okstale",
        ]);
        const first = await textOf(page, "#check-bitlocker tbody tr");
        assert.match(first, /C: not protected/);
        assert.match(first, /just now|s ago/);
        assert.deepEqual(await rowsOf(page, "#check-disk"), ["PC-C2 unknown"]);
        assert.match(
          await textOf(page, "#check-disk tbody"),
          /check script exited 3: Get-Volume: access denied/,
        );
        assert.match(
          await textOf(page, "#compliance-summary"),
          /^2 checks, 3 results need attention, 1 stale\. A status older than 30 days/,
        );
        await screenshot(page, "c01-compliance");
        noConsoleErrors(env, "compliance cards");
      });

      await t.step("a new failure arrives live; show ok lists the passing PCs", async () => {
        await publishAndSettle(
          be,
          said("PC-C2", "chk-bitlocker", { status: "fail", detail: "TPM missing" }),
        );
        // No reload: the change feed's check notice refreshes the cards.
        await page.waitForFunction(() =>
          /^2 fail/.test(document.querySelector("#check-bitlocker ul.kv-list")?.textContent ?? "")
        );
        assert.deepEqual(await rowsOf(page, "#check-bitlocker"), [
          "PC-C1 fail",
          "PC-C2 fail",
          "PC-C3 warn",
          "PC-GONE okstale",
        ]);
        assert.equal(await textOf(page, "#show-ok-disk"), "Show ok PCs (2)");
        assert.equal(await page.getAttribute("#show-ok-disk", "aria-pressed"), "false");
        await page.focus("#show-ok-disk");
        await page.keyboard.press("Enter");
        await page.waitForFunction(() =>
          document.querySelectorAll("#check-disk tbody tr").length === 3
        );
        assert.deepEqual(await rowsOf(page, "#check-disk"), [
          "PC-C2 unknown",
          "PC-C1 ok",
          "PC-C3 ok",
        ]);
        assert.equal(await page.getAttribute("#show-ok-disk", "aria-pressed"), "true");
        assert.equal(
          await page.evaluate(() => document.activeElement?.id),
          "show-ok-disk",
          "focus stays on the toggle across the refresh",
        );
        await page.keyboard.press("Space");
        await page.waitForFunction(() =>
          document.querySelectorAll("#check-disk tbody tr").length === 1
        );
        // The heading narrows the page to one check (a URL to share).
        await page.click("#check-disk-title a");
        await pathIs(page, /^\/compliance$/);
        await page.waitForFunction(() => location.search === "?check=disk");
        await page.waitForSelector("#check-disk tbody tr");
        assert.equal(await page.$("#check-bitlocker"), null);
        assert.equal(await textOf(page, "h1"), "Compliance: disk");
        noConsoleErrors(env, "compliance live and show ok");
      });

      await t.step("a PC links to its agent page, which lists its checks", async () => {
        await page.goto(`${url}/compliance`);
        await page.click('#check-bitlocker a[href="/agents/PC-C1"]');
        await pathIs(page, /^\/agents\/PC-C1$/);
        await page.waitForSelector("#agent-checks tbody tr");
        assert.deepEqual(await rowsOf(page, "#agent-checks"), ["BitLocker on fail", "disk ok"]);
        assert.match(await textOf(page, "#agent-checks"), /C: not protected/);
        assert.equal(
          await page.getAttribute('#agent-checks a:has-text("disk")', "href"),
          "/compliance?check=disk",
        );
        // Its status changes, newest first: PC-C2 went from ok to fail in the live step.
        await page.goto(`${url}/agents/PC-C2`);
        await page.waitForSelector("#agent-check-history tbody tr", { state: "attached" });
        await page.click("details:has(#agent-check-history) summary");
        const history = await page.$$eval(
          "#agent-check-history tbody tr",
          (trs) =>
            trs.map((tr) =>
              [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim()).join(" ")
            ),
        );
        assert.match(history[0], /^BitLocker on ok → fail TPM missing/);
        assert.equal(history.length, 3, history.join(" | "));
        assert.ok(
          history.some((r) => /^disk first report → unknown check script exited 3/.test(r)),
        );
        // The stale flag shows on the agent page too.
        // (It has no agent row: the agent card's 404 is expected, and again at each of the
        // card's live reloads while the fleet beats, so the page is left inside the window.)
        await env.watch.expecting([httpError(404)], async () => {
          await page.goto(`${url}/agents/PC-GONE`);
          await page.waitForSelector("#agent-checks tbody tr");
          assert.deepEqual(await rowsOf(page, "#agent-checks"), ["BitLocker on okstale"]);
          await page.goto("about:blank");
        });
        noConsoleErrors(env, "agent checks");
      });

      await t.step("clear one PC, then a whole check; both audited", async () => {
        await page.goto(`${url}/compliance`);
        await page.waitForSelector("#check-bitlocker tbody tr");
        await confirm(page, 'button[aria-label="Clear bitlocker on PC-GONE"]');
        await page.waitForFunction(() =>
          !/PC-GONE/.test(document.querySelector("#check-bitlocker")?.textContent ?? "")
        );
        assert.match(await textOf(page, "#toasts"), /Cleared bitlocker on PC-GONE \(1 row\)/);
        // The keyboard focus stays in the card (the next row's Clear), not lost to the page.
        await page.waitForFunction(() =>
          /^Clear bitlocker on PC-/.test(document.activeElement?.getAttribute("aria-label") ?? "")
        );
        assert.match(await textOf(page, "#check-bitlocker ul.kv-list"), /0 stale/);
        // Cancel leaves everything as it was; focus goes back to the button.
        await page.focus("#clear-disk");
        await page.keyboard.press("Enter");
        await page.waitForSelector("dialog[open]");
        assert.match(await textOf(page, "dialog[open] h2"), /Clear disk on every PC\?/);
        await page.keyboard.press("Escape");
        await page.waitForFunction(() => !document.querySelector("dialog[open]"));
        // (actionButton hands focus back once its dialog settles: wait for it, do not race.)
        await page.waitForFunction(() => document.activeElement?.id === "clear-disk");
        await confirm(page, "#clear-disk");
        await page.waitForFunction(() => !document.querySelector("#check-disk"));
        await page.waitForFunction(() => document.activeElement?.id === "page-title");
        assert.match(await textOf(page, "#toasts"), /Cleared disk on every PC \(3 rows\)/);
        const audit = await waitFor(async () => {
          const rows = await be.json<{ action: string; payload: Record<string, unknown> }[]>(
            "GET",
            "/api/audit?action=check_clear",
          );
          return rows.length === 2 ? rows : null;
        }, { what: "two check_clear audit rows" });
        assert.deepEqual(
          audit.map((a) => [a.payload.check_name, a.payload.pc_id, a.payload.deleted]).sort(),
          [["bitlocker", "PC-GONE", 1], ["disk", null, 3]],
        );
        noConsoleErrors(env, "compliance clear");
      });

      await t.step("events: include/exclude chips, sources, payload field, URL", async () => {
        await postYaml(be, "/api/jobs", EVENTS_YAML);
        await be.json("POST", "/api/exec/emit-chips", { target: { all: true } });
        await waitFor(async () => {
          const r = await be.json<{ events: unknown[] }>("GET", "/api/obs_events?limit=50");
          return r.events.length === 5 * PCS.length;
        }, { what: "five obs events per PC" });
        await nav(page, "Events", "/events");
        const rows = (n: number) =>
          page.waitForFunction(
            (n) => document.querySelectorAll("#events-list tbody tr").length === n,
            n,
          );
        await rows(5 * PCS.length);
        // The suggestions come from /api/obs_events/kinds and /api/obs_events/sources.
        await page.waitForSelector('#ev-sources-options option[value="security"]', {
          state: "attached",
        });
        await page.waitForSelector('#ev-kinds-options option[value="service_stop"]', {
          state: "attached",
        });
        // A chip applies at once and lands in the URL.
        await page.fill("#ev-kinds", "service_stop");
        await page.click("#ev-kinds-exclude");
        await rows(4 * PCS.length);
        assert.equal(new URL(page.url()).searchParams.get("kinds_ex"), "service_stop");
        await page.fill("#ev-sources", "security");
        await page.click("#ev-sources-include");
        await rows(3 * PCS.length);
        assert.equal(new URL(page.url()).searchParams.get("sources"), "security");
        assert.deepEqual(
          await page.$$eval(
            "#ev-kinds-chips li",
            (lis) => lis.map((l) => l.firstChild?.textContent),
          ),
          ["not service_stop"],
        );
        // A bad payload key is refused by the page, with the API's rule, before any request.
        await page.fill("#ev-payload-key", "logon.type");
        await page.fill("#ev-payload-value", "10");
        await page.click("#ev-apply");
        await page.waitForSelector("#ev-status .error-box");
        assert.match(await textOf(page, "#ev-status"), /letters, digits and _ only/);
        assert.equal(await page.evaluate(() => document.activeElement?.id), "ev-payload-key");
        // Compared as a number and as text: alice's logon_type 10 and the boot's "10".
        await page.fill("#ev-payload-key", "logon_type");
        await page.click("#ev-apply");
        await rows(2 * PCS.length);
        assert.equal(await textOf(page, "#ev-status"), "");
        assert.doesNotMatch(await textOf(page, "#events-list"), /carol/);
        const shared = new URL(page.url());
        assert.equal(
          shared.search,
          "?kinds_ex=service_stop&sources=security&payload_key=logon_type&payload_value=10",
        );
        // The URL restores the chips and the payload field (a shared link).
        await page.goto(shared.href);
        await rows(2 * PCS.length);
        assert.equal(await page.inputValue("#ev-payload-value"), "10");
        assert.equal(await textOf(page, "#ev-sources-chips li"), "security×");
        // Enter in a chip field adds an include chip.
        await page.fill("#ev-kinds", "logon");
        await page.press("#ev-kinds", "Enter");
        await rows(PCS.length);
        assert.match(await textOf(page, "#events-list tbody"), /user=alice/);
        // Removing a chip applies at once and gives focus back to its field.
        await page.click('button[aria-label="Remove kind filter not service_stop"]');
        await page.waitForFunction(() => !/kinds_ex/.test(location.search));
        assert.equal(await page.evaluate(() => document.activeElement?.id), "ev-kinds");
        assert.equal(new URL(page.url()).searchParams.get("kinds"), "logon");
        await rows(PCS.length);
        await screenshot(page, "c03-events-chips");
        noConsoleErrors(env, "events chips");
      });

      await t.step(
        "config: the built-in defaults; what each field inherits, and from where",
        async () => {
          await be.json("PUT", "/api/config", { host_perf_interval: "45s" });
          await be.json("PUT", "/api/groups/canary/config", { process_perf_top_n: 7 });
          const inherits = (key: string) => textOf(page, `#cfg-${key}-inherited`);
          await nav(page, "Config", "/config");
          await page.waitForSelector("#cfg-defaults tbody tr");
          const defaults = await rowsOf(page, "#cfg-defaults");
          assert.ok(defaults.includes("heartbeat_interval 30s"), defaults.join(" | "));
          assert.ok(defaults.includes("process_perf_top_n 20"), defaults.join(" | "));
          // The global scope inherits the defaults.
          await page.waitForSelector("#cfg-heartbeat_interval-inherited");
          assert.equal(await inherits("heartbeat_interval"), "Inherits 30s from built-in default.");
          // A group inherits global, then the defaults.
          await page.goto(`${url}/config?scope=group&value=canary`);
          await page.waitForSelector("#cfg-host_perf_interval-inherited");
          assert.equal(await inherits("host_perf_interval"), "Inherits 45s from global.");
          assert.equal(await page.inputValue("#cfg-process_perf_top_n"), "7");
          assert.equal(await inherits("process_perf_top_n"), "Inherits 20 from built-in default.");
          // A PC inherits its groups too (PC-C1 is in canary); the screen reader hears it.
          await page.goto(`${url}/config?scope=pc&value=PC-C1`);
          await page.waitForSelector("#cfg-process_perf_top_n-inherited");
          assert.equal(await inherits("process_perf_top_n"), "Inherits 7 from group canary.");
          assert.equal(await inherits("host_perf_interval"), "Inherits 45s from global.");
          assert.equal(await inherits("heartbeat_interval"), "Inherits 30s from built-in default.");
          assert.equal(
            await page.getAttribute("#cfg-process_perf_top_n", "aria-describedby"),
            "cfg-process_perf_top_n-hint cfg-process_perf_top_n-inherited",
          );
          await screenshot(page, "c04-config-inherited");
          noConsoleErrors(env, "config inherited");
        },
      );

      await t.step("keyboard and accessibility, light and dark", async () => {
        for (const scheme of ["light", "dark"] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          for (
            const p of [
              "/compliance",
              "/compliance?check=bitlocker",
              "/agents/PC-C1",
              "/config?scope=pc&value=PC-C1",
              "/events?kinds_ex=service_stop&sources=security&payload_key=logon_type&payload_value=10",
            ]
          ) {
            // axe checks both themes in the first pass; the second repeats the keyboard.
            await assertKeyboardUsable(page, `${url}${p}`, { axe: scheme === "light" });
          }
        }
        await screenshot(page, "c02-compliance-dark");
        await page.emulateMedia({ colorScheme: "light" });
        noConsoleErrors(env, "compliance a11y");
      });

      await t.step("a viewer sees the cards without Clear", async () => {
        const viewer = await mintJwt(JWT_SECRET, { sub: "vera", roles: ["viewer"], ttlSecs: 600 });
        await signIn(page, url, viewer);
        await nav(page, "Compliance", "/compliance");
        await page.waitForSelector("#check-bitlocker tbody tr");
        assert.equal(await page.$('button:has-text("Clear")'), null);
        assert.match(await textOf(page, "main"), /Read-only: your role can view this page/);
        noConsoleErrors(env, "compliance viewer");
      });
    } finally {
      await stopEnv(env);
    }
  },
);
