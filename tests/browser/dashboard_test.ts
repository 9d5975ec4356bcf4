/// <reference lib="dom" />
/**
 * The dashboard in a real browser (Debian's Chromium via playwright-core) against the
 * real backend (projectors + scheduler + cleanup), a private broker and simulated agents.
 * One backend and one browser for the whole suite (steps share state, in order) so the
 * suite stays well under 90 s. Screenshots land in tests/screenshots/ (gitignored).
 *
 * Every step asserts that the page logged no console error; steps that provoke an error
 * status on purpose (400 validation, 409, 401) declare exactly which one they expect.
 */
import assert from "node:assert/strict";
import { waitFor } from "../helpers/backend.ts";
import { chromiumTest, focusByTab, nav, screenshot } from "./browser.ts";
import { httpError, noConsoleErrors, pathIs, startEnv, stopEnv } from "./env.ts";

const PCS = ["PC-0001", "PC-0002", "PC-0003", "PC-0004"];
const GROUPS: Record<string, string[]> = {
  "PC-0001": ["canary"],
  "PC-0002": ["canary"],
  "PC-0003": ["canary"],
  "PC-0004": ["lab"],
};

const HELLO_YAML = `# registered from the browser test
id: hello-ui
version: "1.0.0"
description: Greets from every PC
execute:
  shell: powershell
  script: |
    echo hello {{pc_id}}
  timeout: 30s
`;

const BAD_YAML = `id: broken-ui
version: "1.0.0"
execute:
  shell: powershell
  script: echo hi
  timeout: 30s
  not_a_field: true
`;

const SCHEDULE_YAML = `id: nightly-ui
job_id: hello-ui
when:
  calendar:
    at: "03:00"
target:
  groups: [lab]
`;

const INVENTORY_YAML = `id: inv-ui
version: "1.0.0"
execute:
  shell: powershell
  script: 'json {"os":"Windows 11 Pro","ram":8589934592}'
  timeout: 30s
inventory:
  display:
    - field: os
      label: OS name
    - field: ram
      label: Memory
      type: bytes
`;

chromiumTest(
  "dashboard in Chromium: login, jobs, exec, results, kill, schedules, 401, keyboard",
  async (t) => {
    const env = await startEnv({
      backend: { projectors: true, scheduler: true, cleanup: true },
      pcs: PCS,
      groups: GROUPS,
      seed: 7,
    });
    const { page, url, be } = env;
    try {
      await t.step("a fresh visit goes to login; the pasted token signs in", async () => {
        await page.goto(`${url}/dashboard`);
        await pathIs(page, /^\/login$/);
        assert.equal(new URL(page.url()).searchParams.get("next"), "/dashboard");
        await screenshot(page, "01-login");
        // A wrong token is refused on the login page itself.
        await env.watch.expecting([httpError(401)], async () => {
          await page.fill("#token", "not-the-token");
          await page.click("#login-submit");
          await page.waitForSelector("#login-status .error-box");
        });
        assert.match(await page.textContent("#login-status") ?? "", /401/);
        await page.fill("#token", be.token);
        await page.click("#login-submit");
        await pathIs(page, /^\/dashboard$/);
        assert.equal(await page.evaluate(() => localStorage.getItem("kanade_token")), be.token);
        await page.waitForFunction(() =>
          document.querySelector("#online-count .num")?.textContent === "4"
        );
        await page.waitForSelector(".health[data-status=ok]");
        await page.waitForSelector("#live-state[data-state=live]");
        await screenshot(page, "02-dashboard");
        noConsoleErrors(env, "dashboard");
      });

      await t.step("register a job through the editor, validation errors inline", async () => {
        await nav(page, "Jobs", "/jobs");
        await page.click('a[href="/jobs/new"]');
        await pathIs(page, /^\/jobs\/new$/);
        await env.watch.expecting([httpError(400)], async () => {
          await page.fill("#job-yaml", BAD_YAML);
          await page.click("#job-save");
          await page.waitForSelector("#job-yaml-error .error-box");
        });
        assert.match(await page.textContent("#job-yaml-error") ?? "", /not_a_field/);
        assert.equal(await page.getAttribute("#job-yaml", "aria-invalid"), "true");
        // The offending line (7: not_a_field) is marked in the gutter.
        assert.equal(await page.textContent(".editor .gutter .err"), "7");
        assert.match(await page.textContent("#job-yaml-error") ?? "", /Line 7:/);
        await screenshot(page, "03-job-editor-error");
        await page.fill("#job-yaml", HELLO_YAML);
        await page.click("#job-save");
        await pathIs(page, /^\/jobs\/hello-ui$/);
        // The backend mirrors the YAML as written: the comment survives the round trip.
        await page.waitForFunction(() =>
          (document.querySelector("#job-yaml") as HTMLTextAreaElement | null)?.value.includes(
            "# registered from the browser test",
          )
        );
        await nav(page, "Jobs", "/jobs");
        await page.waitForSelector('#jobs-list a[href="/jobs/hello-ui"]');
        await screenshot(page, "04-jobs");
        // Writes from the dashboard are attributed to it in the audit log.
        const audit = await be.json<{ target: string; payload: Record<string, unknown> }[]>(
          "GET",
          "/api/audit?action=job_upsert&limit=10",
        );
        const upsert = audit.find((a) => a.target === "hello-ui");
        assert.equal(upsert?.payload?.source, "spa");
        noConsoleErrors(env, "jobs");
      });

      let execPath = "";
      await t.step("exec to a group: alive count, progress bar reaches 100 %", async () => {
        await page.click('a[aria-label="Run hello-ui"]');
        await pathIs(page, /^\/exec$/);
        await page.check("#target-groups");
        await page.fill("#exec-groups", "canary");
        await page.waitForFunction(() =>
          /Resolves to 3 alive PCs/.test(
            document.querySelector("#exec-resolved")?.textContent ?? "",
          )
        );
        await screenshot(page, "05-exec-form");
        await env.watch.expecting([httpError(400)], async () => {
          await page.fill("#exec-jitter", "soonish");
          await page.click("#exec-submit");
          await page.waitForSelector("#exec-errors .error-box");
        });
        assert.match(await page.textContent("#exec-errors") ?? "", /jitter|soonish/i);
        assert.equal(new URL(page.url()).pathname, "/exec", "a rejected exec stays on the form");
        await page.fill("#exec-jitter", "");
        await page.click("#exec-submit");
        await pathIs(page, /^\/executions\/[^/]+$/);
        execPath = new URL(page.url()).pathname;
        await page.waitForSelector('#exec-progress[data-pct="100"]', { timeout: 20_000 });
        assert.match(await page.textContent("#exec-progress-text") ?? "", /3 \/ 3 finished/);
        assert.equal(await page.getAttribute("#exec-progress", "aria-valuenow"), "3");
        await page.waitForFunction(() =>
          document.querySelectorAll("#exec-pcs tbody tr").length === 3
        );
        await screenshot(page, "06-execution-done");
        noConsoleErrors(env, "execution");
      });

      await t.step("exec in rollout waves: each wave's state, then 100 %", async () => {
        await page.goto(`${url}/exec?job=hello-ui`);
        await page.click("#add-wave");
        await page.fill("#wave-group-1", "canary");
        await page.fill("#wave-delay-1", "0s");
        await page.click("#add-wave");
        await page.fill("#wave-group-2", "lab");
        await page.fill("#wave-delay-2", "1s");
        await page.fill("#exec-max-failures", "50%");
        await page.waitForFunction(() =>
          /Waves decide the target: 4 alive PCs/.test(
            document.querySelector("#exec-resolved")?.textContent ?? "",
          )
        );
        await page.click("#exec-submit");
        await pathIs(page, /^\/executions\/[^/]+$/);
        await page.waitForSelector('#exec-progress[data-pct="100"]', { timeout: 20_000 });
        assert.match(await page.textContent("#exec-progress-text") ?? "", /4 \/ 4 finished/);
        await page.waitForFunction(() =>
          [...document.querySelectorAll("#exec-summary table tbody tr")].filter((tr) =>
            /published/.test(tr.textContent ?? "")
          ).length === 2
        );
        await screenshot(page, "06b-execution-waves");
        noConsoleErrors(env, "waves");
      });

      await t.step("open a result: full stdout", async () => {
        await page.goto(`${url}${execPath}`);
        await page.waitForSelector("#exec-pcs tbody tr");
        await page.click("#exec-pcs tbody tr:first-child a[aria-label^='Open result of']");
        await pathIs(page, /^\/activity\/[^/]+$/);
        await page.waitForFunction(() =>
          /hello PC-000[123]/.test(document.querySelector("#result-stdout")?.textContent ?? "")
        );
        assert.match(await page.textContent("#result-meta") ?? "", /success/);
        await screenshot(page, "07-result");
        noConsoleErrors(env, "result");
      });

      await t.step("activity with a stdout regex, executions list, audit filter", async () => {
        await nav(page, "Activity", "/activity");
        await page.fill("#f-exec_id", execPath.split("/").pop()!);
        await page.fill("#f-stdout", "hello PC-000[12]");
        await page.click("#f-apply");
        await page.waitForFunction(() => {
          const rows = document.querySelectorAll("#results-list tbody tr");
          return rows.length === 2;
        });
        assert.equal(new URL(page.url()).searchParams.get("stdout"), "hello PC-000[12]");
        await screenshot(page, "08-activity");
        // An invalid regex is the backend's 400, shown in place.
        await env.watch.expecting([httpError(400)], async () => {
          await page.fill("#f-stdout", "(unclosed");
          await page.click("#f-apply");
          await page.waitForSelector("#results-list .error-box");
        });
        await nav(page, "Executions", "/executions");
        await page.waitForSelector(`#executions-list a[href="${execPath}"]`);
        await screenshot(page, "09-executions");
        await nav(page, "Audit", "/audit");
        await page.fill("#a-action", "job_upsert");
        await page.click("#a-apply");
        await page.waitForFunction(() =>
          [...document.querySelectorAll("#audit-list tbody tr")].length >= 1 &&
          [...document.querySelectorAll("#audit-list tbody tr td:nth-child(3)")].every((td) =>
            td.textContent === "job_upsert"
          )
        );
        await screenshot(page, "10-audit");
        noConsoleErrors(env, "activity/executions/audit");
      });

      await t.step("kill a long run: live tail while it runs, then it ends", async () => {
        await be.request("/api/jobs", {
          method: "POST",
          headers: { "content-type": "application/yaml" },
          body: HELLO_YAML.replace("hello-ui", "long-ui").replace(
            "echo hello {{pc_id}}",
            "echo working\n    sleep 60s\n    echo never",
          ).replace("30s", "120s"),
        }).then((r) => r.body?.cancel());
        await page.goto(`${url}/exec?job=long-ui&pcs=PC-0004`);
        await page.waitForFunction(() =>
          /Resolves to 1 alive PC\b/.test(
            document.querySelector("#exec-resolved")?.textContent ?? "",
          )
        );
        await page.click("#exec-submit");
        await pathIs(page, /^\/executions\/[^/]+$/);
        await page.waitForFunction(() =>
          /running/.test(document.querySelector("#exec-pcs tbody")?.textContent ?? "")
        );
        await screenshot(page, "11-execution-running");
        const execOfLong = new URL(page.url()).pathname;
        // The catalog shows the live running count and enables Kill for that job.
        await nav(page, "Jobs", "/jobs");
        await page.waitForSelector('#jobs-list tr:has(a[href="/jobs/long-ui"]) [data-live="1/0"]');
        assert.equal(
          await page.isEnabled('button[aria-label="Kill running executions of long-ui"]'),
          true,
        );
        assert.equal(
          await page.isDisabled('button[aria-label="Kill running executions of hello-ui"]'),
          true,
        );
        await page.goBack();
        await pathIs(page, /^\/executions\/[^/]+$/);
        // The running result streams its output through the live tail.
        await page.click("#exec-pcs a[aria-label='Open result of PC-0004']");
        await pathIs(page, /^\/activity\/[^/]+$/);
        await page.waitForFunction(() =>
          /Live tail/.test(document.querySelector("#tail-state")?.textContent ?? "") &&
          /working/.test(document.querySelector("#result-stdout")?.textContent ?? "")
        );
        assert.match(await page.textContent("#result-meta") ?? "", /running/);
        await screenshot(page, "12-result-live-tail");
        const t0 = Date.now();
        await page.click("#result-kill");
        await page.click("dialog button[value=ok]");
        await page.waitForFunction(() =>
          /failure/.test(document.querySelector("#result-meta")?.textContent ?? "")
        );
        assert.ok(Date.now() - t0 < 15_000);
        assert.match(await page.textContent("#result-stderr") ?? "", /killed/);
        assert.equal(await page.isVisible("#result-kill"), false, "no kill button once ended");
        await page.goto(`${url}${execOfLong}`);
        await page.waitForSelector('#exec-progress[data-pct="100"]');
        assert.match(await page.textContent("#exec-pcs tbody") ?? "", /failure/);
        assert.match(await page.textContent("#exec-pcs tbody") ?? "", /-1/);
        assert.equal(await page.isDisabled("#exec-kill"), true);
        await screenshot(page, "13-execution-killed");
        noConsoleErrors(env, "killed execution");
      });

      await t.step(
        "schedules: create in the editor, toggle off (cascade option) and on",
        async () => {
          await page.goto(`${url}/schedules/new`);
          await page.fill("#schedule-yaml", SCHEDULE_YAML);
          await page.click("#schedule-save");
          await pathIs(page, /^\/schedules\/nightly-ui$/);
          await nav(page, "Schedules", "/schedules");
          const sw = "#toggle-nightly-ui";
          await page.waitForSelector(`${sw}[aria-checked=true]`);
          await screenshot(page, "14-schedules");
          await page.click(sw);
          await page.waitForSelector("dialog #confirm-option");
          await screenshot(page, "15-schedule-disable-dialog");
          await page.click("dialog button[value=ok]"); // cascade left unchecked
          await page.waitForSelector(`${sw}[aria-checked=false]`);
          const off = await be.json<{ id: string; enabled: boolean }[]>("GET", "/api/schedules");
          assert.equal(off.find((s) => s.id === "nightly-ui")?.enabled, false);
          const st = await be.json<Record<string, string>>("GET", "/api/scripts/status");
          assert.notEqual(st["hello-ui"], "REVOKED", "no cascade: the job stays active");
          await page.click(sw);
          await page.waitForSelector(`${sw}[aria-checked=true]`);
          const on = await be.json<{ id: string; enabled: boolean }[]>("GET", "/api/schedules");
          assert.equal(on.find((s) => s.id === "nightly-ui")?.enabled, true);
          noConsoleErrors(env, "schedules");
        },
      );

      await t.step("deleting a job a schedule uses explains the 409", async () => {
        await nav(page, "Jobs", "/jobs");
        await env.watch.expecting([httpError(409)], async () => {
          await page.click('button[aria-label="Delete hello-ui"]');
          await page.click("dialog button[value=ok]");
          await page.waitForSelector("#jobs-notice .error-box");
        });
        const text = await page.textContent("#jobs-notice") ?? "";
        assert.match(text, /nightly-ui/);
        assert.match(text, /Delete or edit the schedule/);
        await screenshot(page, "16-job-delete-409");
        noConsoleErrors(env, "jobs 409");
      });

      await t.step("agents: search, detail, groups editor, ping, inventory", async () => {
        // Inventory facts for PC-0002, collected by a job with an inventory hint.
        const inv = await be.request("/api/jobs", {
          method: "POST",
          headers: { "content-type": "application/yaml" },
          body: INVENTORY_YAML,
        });
        assert.equal(inv.status, 200, await inv.text());
        await be.json("POST", "/api/exec/inv-ui", { target: { pcs: ["PC-0002"] } });
        await waitFor(async () => {
          const rows = await be.json<unknown[]>("GET", "/api/inventory/PC-0002");
          return rows.length === 1;
        }, { what: "inventory facts of PC-0002" });
        await nav(page, "Agents", "/agents");
        await page.waitForFunction(() =>
          document.querySelectorAll("#agents-list tbody tr").length === 4
        );
        assert.match(await page.textContent("#agents-summary") ?? "", /of 4 agents · 4 online/);
        await screenshot(page, "17-agents");
        // Server-side paging: two per page, X-Total-Count drives the pager.
        await page.goto(`${url}/agents?limit=2`);
        await page.waitForFunction(() =>
          document.querySelector("#agents-summary")?.textContent?.startsWith("1–2 of 4")
        );
        assert.equal(await page.isDisabled("#agents-prev"), true);
        await page.click("#agents-next");
        await page.waitForFunction(() =>
          document.querySelector("#agents-summary")?.textContent?.startsWith("3–4 of 4")
        );
        assert.equal(await page.isDisabled("#agents-next"), true);
        assert.equal(new URL(page.url()).searchParams.get("offset"), "2");
        const second = await page.$$eval(
          "#agents-list tbody tr td:first-child",
          (tds) => tds.map((td) => td.textContent),
        );
        assert.equal(second.length, 2);
        await page.selectOption("#agent-status", "offline");
        await page.waitForSelector("#agents-list .empty");
        await page.selectOption("#agent-status", "");
        await page.selectOption("#agent-limit", "25");
        await page.waitForFunction(() =>
          document.querySelectorAll("#agents-list tbody tr").length === 4
        );
        await page.fill("#agent-q", "0002");
        await page.waitForFunction(() =>
          document.querySelectorAll("#agents-list tbody tr").length === 1
        );
        assert.equal(new URL(page.url()).searchParams.get("q"), "0002");
        await page.click('#agents-list a[href="/agents/PC-0002"]');
        await pathIs(page, /^\/agents\/PC-0002$/);
        await page.waitForSelector("#group-add");
        await page.fill("#group-add", "ops");
        await page.press("#group-add", "Enter");
        await page.click("#groups-save");
        await waitFor(async () => {
          const g = await be.json<{ groups: string[] }>("GET", "/api/agents/PC-0002/groups");
          return g.groups.join(",") === "canary,ops";
        }, { what: "groups saved" });
        await page.click("#ping");
        await page.waitForFunction(() =>
          /answered/.test(document.querySelector("#ping")?.parentElement?.textContent ?? "")
        );
        const invText = await page.textContent(
          "#card-inventory + div, section[aria-labelledby=card-inventory]",
        ) ?? "";
        assert.match(invText, /OS name\s*Windows 11 Pro/);
        assert.match(invText, /Memory\s*8\.0 GiB/);
        await page.click("#logs-fetch");
        await page.waitForFunction(() =>
          !/Fetching|Not loaded/.test(document.querySelector("#agent-logs")?.textContent ?? "")
        );
        await screenshot(page, "18-agent-detail");
        noConsoleErrors(env, "agents");
      });

      await t.step("dark theme, toggle and phone layout", async () => {
        await page.emulateMedia({ colorScheme: "dark" });
        await page.goto(`${url}/dashboard`);
        await page.waitForSelector(".health[data-status=ok]");
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(bg, "rgb(15, 18, 23)", "dark background under prefers-color-scheme: dark");
        await screenshot(page, "19-dashboard-dark");
        await page.goto(`${url}${execPath}`);
        await page.waitForSelector('#exec-progress[data-pct="100"]');
        await screenshot(page, "20-execution-dark");
        await page.goto(`${url}/activity`);
        await page.waitForSelector("#results-list tbody tr");
        await screenshot(page, "21-activity-dark");
        for (
          const [path, sel, name] of [
            ["/jobs/hello-ui", "#job-yaml", "21b-job-editor-dark"],
            ["/schedules", "#toggle-nightly-ui", "21c-schedules-dark"],
            ["/agents", "#agents-list tbody tr", "21d-agents-dark"],
            ["/login", "#token", "21e-login-dark"],
          ]
        ) {
          await page.goto(`${url}${path}`);
          await page.waitForSelector(sel);
          await screenshot(page, name);
        }
        // The toggle overrides the system preference and persists.
        await page.click("#theme-toggle"); // system → light
        assert.equal(await page.getAttribute("html", "data-theme"), "light");
        const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(light, "rgb(246, 247, 249)");
        await page.reload();
        assert.equal(await page.getAttribute("html", "data-theme"), "light");
        await page.click("#theme-toggle"); // light → dark
        await page.click("#theme-toggle"); // dark → system
        assert.equal(await page.getAttribute("html", "data-theme"), null);
        await page.emulateMedia({ colorScheme: "light" });

        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${url}/dashboard`);
        await page.waitForSelector("#online-count");
        assert.equal(await page.isVisible("#nav"), false, "nav collapses on a phone");
        await page.click("#nav-toggle");
        assert.equal(await page.isVisible("#nav-group-operate"), true);
        await page.click("#nav-group-operate");
        assert.equal(await page.isVisible('#nav a[href="/jobs"]'), true);
        await screenshot(page, "22-phone-menu");
        await page.keyboard.press("Escape");
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth > document.documentElement.clientWidth
        );
        assert.equal(overflow, false, "no horizontal scrolling on a phone");
        await page.goto(`${url}/activity`);
        await page.waitForSelector("#results-list tbody tr");
        await screenshot(page, "23-phone-activity");
        await page.setViewportSize({ width: 1280, height: 860 });
        noConsoleErrors(env, "themes");
      });

      await t.step("a degraded fleet (HTTP 503) still shows its health body", async () => {
        const degraded = {
          status: "degraded",
          agents: { known: 4, active: 0, stale: 4 },
          jetstream: { all_ok: false, healthy: 11, total: 12, missing: ["KV_agent_groups"] },
          recent_results: { window_hours: 24, total: 9, failed: 2 },
          observed_at: new Date().toISOString(),
        };
        await page.route("**/api/health/fleet", (r) =>
          r.fulfill({
            status: 503,
            contentType: "application/json",
            body: JSON.stringify(degraded),
          }));
        // Live refreshes may fetch the (still routed) 503 again until the route is gone.
        await env.watch.expecting([httpError(503)], async () => {
          await page.goto(`${url}/dashboard`);
          await page.waitForSelector(".health[data-status=degraded]");
          const text = await page.textContent(".health") ?? "";
          assert.match(text, /HTTP 503/);
          assert.match(text, /Missing JetStream resources: KV_agent_groups/);
          assert.match(text, /11\/12/);
          await screenshot(page, "25-dashboard-degraded");
          await page.unroute("**/api/health/fleet");
          await page.goto(`${url}/jobs`);
          await page.waitForSelector("#jobs-list table");
        });
        // Without the event stream the dashboard says so and falls back to a slow poll,
        // then goes live again once the stream is back.
        await env.watch.expecting([httpError(503)], async () => {
          await page.route(
            "**/api/events/stream",
            (r) =>
              r.fulfill({
                status: 503,
                contentType: "application/json",
                body: '{"error":"down","status":503}',
              }),
          );
          await page.reload();
          await page.waitForSelector("#live-state[data-state=polling]");
          assert.equal(await page.textContent("#live-label"), "polling");
          await page.unroute("**/api/events/stream");
          await page.waitForSelector("#live-state[data-state=live]", { timeout: 10_000 });
        });
        noConsoleErrors(env, "degraded dashboard");
      });

      // Each page's keyboard and axe checks are the a11y walk's (a11y_test.ts visits every
      // route with data like this suite's); here, one task: skip link, nav, switch, dialog,
      // Escape.
      await t.step("keyboard only: a whole task without the mouse", async () => {
        await page.goto(`${url}/dashboard`);
        await page.waitForSelector("#online-count");
        await page.keyboard.press("Tab");
        assert.equal(await page.evaluate(() => document.activeElement?.className), "skip-link");
        await page.keyboard.press("Enter");
        // Menu sections are disclosure buttons: Enter opens one, Tab moves into it.
        await focusByTab(page, "#nav-group-operate");
        await page.keyboard.press("Enter");
        assert.equal(await page.getAttribute("#nav-group-operate", "aria-expanded"), "true");
        await focusByTab(page, '#nav a[href="/schedules"]');
        await page.keyboard.press("Enter");
        await pathIs(page, /^\/schedules$/);
        // The URL changes first; focus moves to the new page's heading once it has rendered.
        await page.waitForFunction(() => document.activeElement?.tagName === "H1");
        await page.waitForSelector("#toggle-nightly-ui");
        await focusByTab(page, "#toggle-nightly-ui");
        await page.keyboard.press("Space");
        await page.waitForSelector("dialog[open]");
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel");
        await page.keyboard.press("Escape");
        await page.waitForFunction(() => !document.querySelector("dialog"));
        assert.equal(await page.evaluate(() => document.activeElement?.id), "toggle-nightly-ui");
        noConsoleErrors(env, "keyboard");
      });

      await t.step("a 401 anywhere sends the user back to login", async () => {
        await page.goto(`${url}/agents`);
        await page.waitForSelector("#agents-list tbody tr");
        await page.click("#nav-group-operate");
        await page.waitForSelector('#nav a[href="/jobs"]', { state: "visible" });
        await env.watch.expecting([httpError(401)], async () => {
          // The token is revoked and the link followed in one browser task: between two
          // separate steps, a live refresh of /agents (events from the earlier steps) could
          // meet the 401 first and send the user to /login?next=/agents.
          await page.evaluate(() => {
            localStorage.setItem("kanade_token", "revoked-token");
            document.querySelector<HTMLAnchorElement>('#nav a[href="/jobs"]')?.click();
          });
          await pathIs(page, /^\/login$/);
          // The jobs page asks for several things at once: each answers 401, some after the
          // first one has already sent the user to /login.
          await page.waitForLoadState("networkidle");
        });
        assert.equal(new URL(page.url()).searchParams.get("next"), "/jobs");
        assert.equal(await page.evaluate(() => localStorage.getItem("kanade_token")), null);
        await page.waitForSelector(".toast-fail");
        await screenshot(page, "24-login-after-401");
        // Signing in again returns to where the user was going.
        await page.fill("#token", be.token);
        await page.click("#login-submit");
        await pathIs(page, /^\/jobs$/);
        noConsoleErrors(env, "401 flow");
      });
      await t.step("delete the schedule, then the job it blocked", async () => {
        await nav(page, "Schedules", "/schedules");
        await page.click('button[aria-label="Delete nightly-ui"]');
        await page.click("dialog button[value=ok]");
        await page.waitForSelector("#schedules-list .empty");
        await nav(page, "Jobs", "/jobs");
        await page.click('button[aria-label="Delete hello-ui"]');
        await page.click("dialog button[value=ok]");
        await page.waitForFunction(() =>
          !document.querySelector('#jobs-list a[href="/jobs/hello-ui"]')
        );
        const jobs = await be.json<{ id: string }[]>("GET", "/api/jobs");
        assert.deepEqual(jobs.map((j) => j.id), ["inv-ui", "long-ui"]);
        noConsoleErrors(env, "deletes");
      });
    } finally {
      await stopEnv(env);
    }
  },
);
