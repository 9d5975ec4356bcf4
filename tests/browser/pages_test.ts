/// <reference lib="dom" />
/**
 * The operator pages added to the dashboard, in a real browser (Debian's Chromium via
 * playwright-core) against the real backend (projectors), a private broker and simulated
 * agents: ad-hoc run + ping, the events timeline, perf charts, log tail, the layered config
 * editor, group membership, agent releases and rollout, JetStream, inventory probes and
 * the explode search with history, and the read-only view of a viewer token.
 *
 * Steps share one backend and one browser, in order. Every step asserts that the page
 * logged no console error; steps that provoke an error status declare which one.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Page } from "playwright-core";
import { type TestBackend, waitFor } from "../helpers/backend.ts";
import { mintJwt } from "../../lib/auth.ts";
import { encodeExecResult } from "../../wire/messages.ts";
import { subjects } from "../../wire/names.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { appsInventoryYaml } from "../helpers/inventory_job.ts";
import { emitEventsYaml } from "../helpers/emit_job.ts";
import { chromiumTest, nav, screenshot } from "./browser.ts";
import { httpError, noConsoleErrors, pathIs, postYaml, signIn, startEnv, stopEnv } from "./env.ts";

const PCS = ["PC-0001", "PC-0002", "PC-0003"];
const GROUPS: Record<string, string[]> = {
  "PC-0001": ["canary"],
  "PC-0002": ["canary"],
  "PC-0003": ["lab"],
};
const JWT_SECRET = "pages-test-secret-0123456789abcdef";
const RELEASE = "9.9.1-test";

/** An emit job: each event becomes an observability event of the PC that runs it. */
const EVENTS_YAML = emitEventsYaml("emit-ui", [
  { kind: "logon", source: "agent:test", payload: { user: "alice", pc: "{{pc_id}}" } },
  { kind: "service_stop", source: "agent:test", payload: { service: "Spooler" } },
  { kind: "logon", source: "agent:test", payload: { user: "bob" } },
]);

const INVENTORY_YAML = (version: string, chrome: string) =>
  appsInventoryYaml({ id: "inv-apps-ui", table: "inv_apps_ui", version, chrome });

const textOf = async (page: Page, sel: string) => (await page.textContent(sel)) ?? "";

const registerYaml = (be: TestBackend, yaml: string) => postYaml(be, "/api/jobs", yaml);

chromiumTest(
  "dashboard pages in Chromium: run, events, perf, logs, config, groups, rollout, jetstream, inventory",
  async (t) => {
    const env = await startEnv({
      backend: { projectors: true, env: { KANADE_JWT_SECRET: JWT_SECRET } },
      pcs: PCS,
      groups: GROUPS,
      seed: 11,
      // Host perf every second, so the charts have points within the test.
      beforeFleet: (be) => be.json("PUT", "/api/config", { host_perf_interval: "1s" }),
    });
    const { page, url, be } = env;
    try {
      await t.step("the menu groups its pages; run a script on one PC", async () => {
        await signIn(page, url, be.token);
        assert.equal(await page.isVisible('#nav a[href="/run"]'), false, "sections start closed");
        await nav(page, "Run script", "/run");
        assert.equal(
          await page.getAttribute("#nav-group-operate", "aria-expanded"),
          "false",
          "the section closes after navigating",
        );
        assert.match(await page.getAttribute("#nav-group-operate", "class") ?? "", /current/);
        // Client-side checks answer before any request.
        await page.fill("#run-pc", "PC-0001");
        await page.click("#run-submit");
        await page.waitForSelector("#run-status .error-box");
        assert.match(await textOf(page, "#run-status"), /script is empty/);
        await page.fill("#run-script", "echo hello from the run page\necho_err careful\nexit 3");
        await page.fill("#run-timeout", "20");
        await page.click("#run-submit");
        await page.waitForSelector("#run-stdout");
        assert.equal(await textOf(page, "#run-stdout"), "hello from the run page\n");
        assert.equal(await textOf(page, "#run-stderr"), "careful\n");
        assert.equal(await textOf(page, "#run-exit"), "3");
        assert.match(await textOf(page, "#run-result"), /failure/);
        await screenshot(page, "p01-run-result");
        // The answer links to the stored result, which the results projector wrote.
        await page.waitForSelector("#run-result-link");
        const link = await page.getAttribute("#run-result-link", "href") ?? "";
        assert.match(link, /^\/activity\/[0-9a-f-]{36}$/);
        await page.click("#run-result-link");
        await pathIs(page, /^\/activity\/[^/]+$/);
        await page.waitForFunction(() =>
          /hello from the run page/.test(
            document.querySelector("#result-stdout")?.textContent ?? "",
          )
        );
        assert.match(await textOf(page, "#result-meta"), /PC-0001/);
        noConsoleErrors(env, "run");
      });

      await t.step("run: a backend refusal is shown; ping answers", async () => {
        await page.goto(`${url}/run?pc=PC-0002`);
        assert.equal(await page.inputValue("#run-pc"), "PC-0002");
        await page.route("**/api/run", (r) =>
          r.fulfill({
            status: 400,
            contentType: "application/json",
            body:
              '{"error":"unknown shell \'bash\' (expected powershell, ps, pwsh or cmd)","status":400}',
          }));
        await env.watch.expecting([httpError(400)], async () => {
          await page.fill("#run-script", "echo x");
          await page.click("#run-submit");
          await page.waitForSelector("#run-result .error-box");
        });
        await page.unroute("**/api/run");
        const msg = await textOf(page, "#run-result .error-box");
        assert.match(msg, /Not run:/);
        assert.match(msg, /400 · unknown shell 'bash'/);
        // A result page opened before the result is stored says so, then shows it once the
        // results projector has it (live, no reload).
        const late = { result: crypto.randomUUID(), request: crypto.randomUUID() };
        await env.watch.expecting([httpError(404)], async () => {
          await page.goto(`${url}/activity/${late.result}`);
          await page.waitForSelector("#result-meta .error-box");
        });
        assert.match(await textOf(page, "#result-meta"), /404 ·.*may not be recorded yet/s);
        const now = new Date().toISOString();
        await be.deps.nats.js.publish(
          subjects.results(late.request),
          jsonBytes(encodeExecResult({
            result_id: late.result,
            request_id: late.request,
            pc_id: "PC-0002",
            exit_code: 0,
            stdout: "recorded late\n",
            stderr: "",
            started_at: now,
            finished_at: now,
            manifest_id: "adhoc-run",
          })),
        );
        await page.waitForFunction(() =>
          /recorded late/.test(document.querySelector("#result-stdout")?.textContent ?? "")
        );
        assert.match(await textOf(page, "#result-meta"), /success/);
        await page.goto(`${url}/run?pc=PC-0002`);
        await page.click("#run-ping");
        await page.waitForFunction(() =>
          /PC-0002 answered/.test(document.querySelector("#ping-result")?.textContent ?? "")
        );
        // A longer run offers its live output while it runs, then shows the answer.
        await page.fill("#run-script", "echo started\nsleep 6s\necho finished");
        await page.click("#run-submit");
        await page.waitForSelector("#run-live-link");
        const live = await page.getAttribute("#run-live-link", "href") ?? "";
        assert.match(live, /^\/activity\/[0-9a-f-]{36}$/);
        await page.waitForSelector("#run-stdout", { timeout: 30_000 });
        assert.equal(await textOf(page, "#run-stdout"), "started\nfinished\n");
        await page.waitForSelector("#run-result-link");
        assert.equal(await page.getAttribute("#run-result-link", "href"), live, "the same result");
        // A run can be stopped from the page: the agent ends it with exit -1.
        await page.fill("#run-script", "sleep 60s");
        await page.click("#run-submit");
        await page.waitForSelector("#run-kill");
        await page.click("#run-kill");
        await page.waitForFunction(
          () => document.querySelector("#run-exit")?.textContent === "-1",
          {
            timeout: 30_000,
          },
        );
        noConsoleErrors(env, "run errors and ping");
      });

      await t.step("events: a PC's timeline, filtered by kind", async () => {
        await registerYaml(be, EVENTS_YAML);
        await be.json("POST", "/api/exec/emit-ui", { target: { pcs: ["PC-0001", "PC-0002"] } });
        await waitFor(async () => {
          const r = await be.json<{ events: unknown[] }>("GET", "/api/obs_events?limit=50");
          return r.events.length === 6;
        }, { what: "six obs events projected" });
        await nav(page, "Events", "/events");
        // No filter: the fleet's newest events.
        await page.waitForFunction(() =>
          document.querySelectorAll("#events-list tbody tr").length === 6
        );
        assert.match(await textOf(page, "#events-scope"), /across the fleet/);
        // New events arrive through the live stream, without a reload.
        await be.json("POST", "/api/exec/emit-ui", { target: { pcs: ["PC-0003"] } });
        await page.waitForFunction(() =>
          document.querySelectorAll("#events-list tbody tr").length === 9
        );
        await page.fill("#ev-pc", "PC-0001");
        await page.click("#ev-apply");
        await page.waitForFunction(() =>
          document.querySelectorAll("#events-list tbody tr").length === 3
        );
        assert.equal(new URL(page.url()).searchParams.get("pc"), "PC-0001");
        assert.match(await textOf(page, "#events-kinds-summary"), /logon · 2/);
        assert.match(await textOf(page, "#events-list"), /user=alice · pc=PC-0001/);
        // The kind suggestions come from /api/obs_events/kinds; a chip applies at once.
        await page.waitForSelector('#ev-kinds-options option[value="service_stop"]', {
          state: "attached",
        });
        await page.fill("#ev-kinds", "service_stop");
        await page.click("#ev-kinds-include");
        await page.waitForFunction(() =>
          document.querySelectorAll("#events-list tbody tr").length === 1
        );
        assert.equal(new URL(page.url()).searchParams.get("kinds"), "service_stop");
        assert.match(await textOf(page, "#events-list tbody"), /Spooler/);
        // The PC's other views are one click away.
        assert.equal(
          await page.getAttribute('nav[aria-label="Views of PC-0001"] a:has-text("Logs")', "href"),
          "/logs?pc=PC-0001",
        );
        await screenshot(page, "p02-events");
        noConsoleErrors(env, "events");
      });

      await t.step("config: edit a PC scope, see the effective config and its layers", async () => {
        await page.goto(`${url}/agents/PC-0002`);
        await page.click('a:has-text("Edit this PC\'s config")');
        await pathIs(page, /^\/config$/);
        assert.equal(new URL(page.url()).searchParams.get("value"), "PC-0002");
        await page.waitForSelector("#cfg-save");
        await page.selectOption("#cfg-scope", "group");
        await page.click("#cfg-open");
        assert.match(await textOf(page, "#cfg-pick-status"), /Enter the group to edit/);
        await page.selectOption("#cfg-scope", "pc");
        // The effective table names the global layer for the interval set there.
        await page.waitForFunction(() =>
          /host_perf_interval\s*1s\s*global/.test(
            document.querySelector("#cfg-effective tbody")?.textContent ?? "",
          )
        );
        await page.fill("#cfg-process_perf_top_n", "5000");
        await page.click("#cfg-save");
        await page.waitForSelector("#cfg-status .error-box");
        assert.match(await textOf(page, "#cfg-status"), /1 to 1000/);
        await page.fill("#cfg-process_perf_top_n", "6");
        await env.watch.expecting([httpError(400)], async () => {
          await page.fill("#cfg-heartbeat_interval", "soon");
          await page.click("#cfg-save");
          // The previous error box is still there: wait for this save's answer, not for a box
          // (a CI run read the old message and took this 400 for a later page's console error).
          await page.waitForFunction(() =>
            /heartbeat_interval/.test(document.querySelector("#cfg-status")?.textContent ?? "")
          );
        });
        assert.match(await textOf(page, "#cfg-status"), /heartbeat_interval/);
        await page.fill("#cfg-heartbeat_interval", "");
        await page.selectOption("#cfg-process_perf_enabled", "true");
        await page.click("#cfg-save");
        await page.waitForSelector("#cfg-status .note");
        const stored = await be.json<Record<string, unknown>>("GET", "/api/pcs/PC-0002/config");
        assert.deepEqual(stored, { process_perf_enabled: true, process_perf_top_n: 6 });
        await page.waitForFunction(() =>
          /process_perf_enabled\s*true\s*pc/.test(
            document.querySelector("#cfg-effective tbody")?.textContent ?? "",
          )
        );
        await screenshot(page, "p03-config");
        noConsoleErrors(env, "config");
      });

      await t.step("agent detail: perf charts with points, process snapshot", async () => {
        await waitFor(async () => {
          const r = await be.json<{ points: unknown[] }>(
            "GET",
            "/api/agents/PC-0002/perf?step=30s",
          );
          return r.points.length >= 1;
        }, { what: "host perf samples of PC-0002" });
        await waitFor(async () => {
          const r = await be.json<{ latest_at: string | null }>(
            "GET",
            "/api/agents/PC-0002/processes",
          );
          return r.latest_at !== null;
        }, { what: "process samples of PC-0002", timeoutMs: 20_000 });
        await page.goto(`${url}/agents/PC-0002`);
        await page.selectOption("#perf-window", "15m");
        await page.waitForFunction(() => {
          const svg = document.querySelector("#chart-cpu");
          return svg && Number(svg.getAttribute("data-points")) >= 1;
        });
        const cpu = await page.$eval("#chart-cpu", (svg) => ({
          label: svg.getAttribute("aria-label") ?? "",
          d: svg.querySelector("path.line")?.getAttribute("d") ?? "",
          dots: svg.querySelectorAll("circle.dot").length,
        }));
        assert.match(cpu.label, /^CPU: \d+ points; latest busy \d+ %\.$/);
        assert.ok(cpu.d.startsWith("M") || cpu.dots === 1, `a drawn series: ${cpu.d}`);
        for (const id of ["#chart-mem", "#chart-disk", "#chart-net"]) {
          assert.ok(Number(await page.getAttribute(id, "data-points")) >= 1, id);
        }
        await page.waitForSelector("#proc-snapshot table tbody tr");
        assert.equal(
          await page.$$eval("#proc-snapshot tbody tr", (r) => r.length),
          6,
          "top 6 processes (the PC scope's process_perf_top_n)",
        );
        await page.waitForSelector("#chart-proc");
        await screenshot(page, "p04-agent-perf");
        // One click samples another PC's processes for an hour (its other fields kept).
        await be.json("PUT", "/api/pcs/PC-0001/config", { heartbeat_interval: "20s" });
        await page.goto(`${url}/agents/PC-0001`);
        await page.waitForSelector("#proc-snapshot .empty");
        const t0 = Date.now();
        await page.click("#proc-sample-on");
        await page.waitForSelector(".toast-ok");
        const on = await be.json<Record<string, unknown>>("GET", "/api/pcs/PC-0001/config");
        assert.equal(on.process_perf_enabled, true);
        assert.equal(on.heartbeat_interval, "20s");
        const until = Date.parse(String(on.process_perf_expires_at));
        assert.ok(
          Math.abs(until - t0 - 3_600_000) < 60_000,
          `about an hour: ${on.process_perf_expires_at}`,
        );
        await page.waitForSelector("#proc-snapshot tbody tr", { timeout: 30_000 });
        await page.click("#proc-sample-off");
        await waitFor(async () => {
          const off = await be.json<Record<string, unknown>>("GET", "/api/pcs/PC-0001/config");
          return off.process_perf_enabled === false && !("process_perf_expires_at" in off);
        }, { what: "sampling off" });
        noConsoleErrors(env, "agent perf");
      });

      await t.step(
        "agent detail of an unknown PC: one error box, kept across refreshes",
        async () => {
          // The Agent card reloads on fleet notices (beats every second here, the card at most
          // every 5 s). The same 404 again must leave the box on show: a new one is announced
          // again by screen readers (role=alert), every few seconds.
          let gets = 0;
          const onDone = (r: { url(): string }) => {
            if (new URL(r.url()).pathname === "/api/agents/PC-NOPE") gets++;
          };
          page.on("requestfinished", onDone);
          try {
            await env.watch.expecting([httpError(404)], async () => {
              await page.goto(`${url}/agents/PC-NOPE`);
              await page.waitForSelector("#agent-info .error-box");
              assert.match(await textOf(page, "#agent-info"), /404/);
              await page.$eval("#agent-info .error-box", (el) => el.setAttribute("data-first", ""));
              const seen = gets;
              await waitFor(() => gets > seen, { timeoutMs: 20_000, what: "a reload of the card" });
              await page.waitForTimeout(200); // its (unchanged) answer handled
              assert.equal(await page.locator("#agent-info .error-box").count(), 1);
              assert.equal(
                await page.getAttribute("#agent-info .error-box", "data-first"),
                "",
                "the box shown first is still the one on show",
              );
              await page.goto(`${url}/agents`);
              await page.waitForSelector("#agents-list table tbody tr");
            });
          } finally {
            page.off("requestfinished", onDone);
          }
          noConsoleErrors(env, "unknown agent");
        },
      );

      await t.step("dashboard: fleet perf chart, busiest PCs, recent events", async () => {
        await nav(page, "Dashboard", "/dashboard");
        await page.waitForFunction(() =>
          Number(document.querySelector("#chart-fleet-cpu")?.getAttribute("data-points")) >= 1
        );
        await page.waitForFunction(() =>
          document.querySelectorAll("#fleet-top tbody tr").length === 3
        );
        assert.match(await textOf(page, "#fleet-investigations"), /PC-0002/);
        await page.waitForSelector("#recent-events tbody tr");
        assert.match(await textOf(page, "#recent-events"), /service_stop|logon/);
        await screenshot(page, "p04b-dashboard-perf");
        noConsoleErrors(env, "dashboard perf");
      });

      await t.step("logs: the agent's log tail, filtered in the page", async () => {
        await page.goto(`${url}/agents/PC-0001`);
        await page.click('nav[aria-label="Views of PC-0001"] a:has-text("Logs")');
        await pathIs(page, /^\/logs$/);
        await page.waitForFunction(() =>
          /lines from PC-0001/.test(document.querySelector("#logs-state")?.textContent ?? "")
        );
        const all = await textOf(page, "#logs-out");
        assert.match(all, /command received/);
        await page.fill("#logs-filter", "run finished");
        const shown = await textOf(page, "#logs-out");
        assert.ok(shown.length < all.length);
        for (const line of shown.split("\n")) assert.match(line, /run finished/i);
        assert.match(await textOf(page, "#logs-state"), /^\d+ of \d+ lines shown\.$/);
        await screenshot(page, "p05-logs");
        noConsoleErrors(env, "logs");
      });

      await t.step("groups: membership, add and remove a PC", async () => {
        await nav(page, "Groups", "/groups");
        await page.waitForSelector("#groups-list tbody tr");
        const canary = await textOf(page, '#groups-list tr:has(strong:text-is("canary"))');
        assert.match(canary, /PC-0001/);
        assert.match(canary, /PC-0002/);
        await page.fill("#groups-add-name", "night-shift");
        await page.fill("#groups-add-pc", "PC-0003");
        await page.click("#groups-add");
        await page.waitForSelector('#groups-list tr:has(strong:text-is("night-shift"))');
        const g = await be.json<{ groups: string[] }>("GET", "/api/agents/PC-0003/groups");
        assert.deepEqual(g.groups, ["lab", "night-shift"]);
        await page.fill("#groups-filter", "night");
        assert.equal(await page.$$eval("#groups-list tbody tr", (r) => r.length), 1);
        await screenshot(page, "p06-groups");
        await page.click('button[aria-label="Remove PC-0003 from night-shift"]');
        await page.waitForSelector("#groups-list .empty");
        const after = await be.json<{ groups: string[] }>("GET", "/api/agents/PC-0003/groups");
        assert.deepEqual(after.groups, ["lab"]);
        // A big group lists its first 40 members until asked for all.
        for (let i = 1; i <= 45; i++) {
          await be.json("PUT", `/api/agents/BULK-${String(i).padStart(3, "0")}/groups`, {
            groups: ["bulk"],
          });
        }
        await page.fill("#groups-filter", "bulk");
        await page.waitForSelector('button[aria-label="Show all 45 members of bulk"]', {
          timeout: 20_000,
        });
        const chips = 'ul[aria-label="Members of bulk"] li';
        assert.equal(await page.$$eval(chips, (l) => l.length), 40);
        await page.click('button[aria-label="Show all 45 members of bulk"]');
        assert.equal(await page.$$eval(chips, (l) => l.length), 45);
        noConsoleErrors(env, "groups");
      });

      await t.step("rollout: upload a release, roll it out to one PC, delete refused", async () => {
        await nav(page, "Rollout", "/rollout");
        await page.waitForSelector("#releases-list .empty");
        await page.setInputFiles("#up-file", {
          name: "kanade-agent-linux",
          mimeType: "application/octet-stream",
          buffer: Buffer.from("#!/bin/sh\necho not really an agent\n"),
        });
        await page.fill("#up-version", RELEASE);
        await page.selectOption("#up-platform", "linux");
        await page.click("#up-submit");
        await page.waitForSelector(`#releases-list td:has-text("${RELEASE}")`);
        assert.match(await textOf(page, "#releases-list tbody"), /linux/);
        assert.match(await textOf(page, "#up-status"), new RegExp(`Published ${RELEASE}`));
        await page.selectOption("#ro-version", RELEASE);
        await page.selectOption("#ro-scope", "pc");
        await page.fill("#ro-value", "PC-0003");
        await page.fill("#ro-jitter", "1s");
        await page.click("#ro-submit");
        await page.click("dialog button[value=ok]");
        await page.waitForSelector("#ro-status .note");
        assert.match(
          await textOf(page, "#ro-status"),
          new RegExp(`pc:PC-0003 now targets ${RELEASE}`),
        );
        // The simulated agent updates itself; the progress table follows.
        await page.waitForFunction(() =>
          /pc:PC-0003/.test(document.querySelector("#rollout-status")?.textContent ?? "")
        );
        await page.waitForFunction(
          () => document.querySelector("#rollout-on-target")?.textContent === "1",
          undefined,
          { timeout: 30_000 },
        );
        await screenshot(page, "p07-rollout");
        await env.watch.expecting([httpError(409)], async () => {
          await page.click(`button[aria-label="Delete release ${RELEASE}"]`);
          await page.click("dialog button[value=ok]");
          await page.waitForSelector("#releases-status .error-box");
        });
        assert.match(await textOf(page, "#releases-status"), /still a target/);
        noConsoleErrors(env, "rollout");
      });

      await t.step("jetstream: every resource present", async () => {
        await nav(page, "JetStream", "/jetstream");
        await page.waitForSelector("#js-summary");
        assert.match(await textOf(page, "#js-summary"), /all present/);
        assert.ok(await page.$$eval("#js-status tbody tr", (r) => r.length) >= 10);
        await screenshot(page, "p08-jetstream");
        noConsoleErrors(env, "jetstream");
      });

      await t.step(
        "inventory: probes, fleet list, PC detail, explode search, history",
        async () => {
          await registerYaml(be, INVENTORY_YAML("1.0.0", "120.0"));
          await be.json("POST", "/api/exec/inv-apps-ui", { target: { all: true } });
          await waitFor(async () => {
            const r = await be.json<unknown[]>("GET", "/api/inventory/inv-apps-ui/search/apps");
            return r.length === 6;
          }, { what: "exploded app rows of three PCs" });
          await nav(page, "Inventory", "/inventory");
          await page.waitForSelector('#inventory-jobs a[href="/inventory/inv-apps-ui"]');
          assert.match(await textOf(page, "#inventory-jobs tbody"), /Installed software\s*3/);
          await page.click('#inventory-jobs a[href="/inventory/inv-apps-ui"]');
          await pathIs(page, /^\/inventory\/inv-apps-ui$/);
          await page.waitForFunction(() =>
            document.querySelectorAll("#inventory-fleet tbody tr").length === 3
          );
          assert.match(await textOf(page, "#inventory-fleet tbody"), /Windows 11/);
          await page.click('#inventory-fleet a[href="/inventory/inv-apps-ui/PC-0002"]');
          await pathIs(page, /^\/inventory\/inv-apps-ui\/PC-0002$/);
          await page.waitForSelector("#inv-facts dl");
          assert.match(await textOf(page, "#inv-facts"), /OS\s*Windows 11/);
          await page.waitForSelector("#inv-history tbody tr");
          assert.match(await textOf(page, "#inv-history"), /added/);

          // Search: the Chrome rows across the fleet.
          await page.goto(`${url}/inventory/search?job=inv-apps-ui&field=apps`);
          await page.waitForFunction(() =>
            document.querySelectorAll("#is-results tbody tr").length === 6
          );
          await page.click("#is-add-filter");
          await page.selectOption("#is-col-0", "name");
          await page.selectOption("#is-op-0", "contains");
          await page.fill("#is-val-0", "chro");
          await page.click("#is-search");
          await page.waitForFunction(() =>
            document.querySelectorAll("#is-results tbody tr").length === 3
          );
          assert.equal(new URL(page.url()).searchParams.get("name__contains"), "chro");
          assert.match(await textOf(page, "#is-results tbody"), /Chrome\s*120\.0/);
          await screenshot(page, "p09-inventory-search");

          // A newer Chrome everywhere: the history records the change.
          await registerYaml(be, INVENTORY_YAML("1.0.1", "121.0"));
          await be.json("POST", "/api/exec/inv-apps-ui", { target: { all: true } });
          await waitFor(async () => {
            const r = await be.json<unknown[]>(
              "GET",
              "/api/inventory/inv-apps-ui/history/search?field=apps&kind=changed",
            );
            return r.length === 3;
          }, { what: "three changed history rows" });
          await page.check("#is-mode-changes");
          await page.fill("#is-id-name", "Chrome");
          await page.selectOption("#is-kind", "changed");
          await page.click("#is-search");
          await page.waitForFunction(() =>
            document.querySelectorAll("#is-results tbody tr").length === 3
          );
          assert.match(await textOf(page, "#is-results tbody"), /Chrome: version 120\.0 → 121\.0/);
          assert.equal(new URL(page.url()).searchParams.get("identity.name"), "Chrome");
          await page.check("#is-mode-first_seen");
          await page.click("#is-search");
          await page.waitForFunction(() =>
            document.querySelectorAll("#is-results tbody tr").length === 3
          );
          await screenshot(page, "p10-inventory-first-seen");
          // A refusal from the backend is shown in place of the results.
          await page.route("**/api/inventory/inv-apps-ui/search/apps*", (r) =>
            r.fulfill({
              status: 409,
              contentType: "application/json",
              body: '{"error":"explode table inv_apps_ui no longer fits its spec","status":409}',
            }));
          await env.watch.expecting([httpError(409)], async () => {
            await page.goto(`${url}/inventory/search?job=inv-apps-ui&field=apps`);
            await page.waitForSelector("#is-results .error-box");
          });
          await page.unroute("**/api/inventory/inv-apps-ui/search/apps*");
          assert.match(await textOf(page, "#is-results"), /409 · explode table inv_apps_ui/);
          assert.match(await textOf(page, "#is-results"), /Search failed:/);
          noConsoleErrors(env, "inventory");
        },
      );

      await t.step("a viewer token sees the pages without their write controls", async () => {
        const viewer = await mintJwt(JWT_SECRET, { sub: "vera", roles: ["viewer"], ttlSecs: 600 });
        await page.evaluate(() => localStorage.removeItem("kanade_token"));
        await signIn(page, url, viewer);
        for (
          const [path, ready, absent] of [
            ["/run?pc=PC-0001", "#run-script", ["#run-submit", "#run-ping"]],
            ["/config?scope=pc&value=PC-0002", "#cfg-process_perf_enabled", ["#cfg-save"]],
            ["/groups", "#groups-list tbody tr", ["#groups-add"]],
            ["/rollout", "#releases-list tbody tr", ["#up-file", "#ro-submit"]],
            ["/agents/PC-0001", "#perf-charts", ["#ping", "#groups-save", "#proc-sample-on"]],
          ] as const
        ) {
          await page.goto(`${url}${path}`);
          await page.waitForSelector(ready);
          assert.match(await textOf(page, "main"), /Read-only: your role/, path);
          for (const sel of absent) assert.equal(await page.$(sel), null, `${sel} on ${path}`);
        }
        assert.equal(await page.$("#releases-list button"), null, "no Delete for a viewer");
        await page.goto(`${url}/config?scope=pc&value=PC-0002`);
        await page.waitForSelector("#cfg-process_perf_enabled");
        assert.equal(await page.isDisabled("#cfg-process_perf_enabled"), true);
        await screenshot(page, "p11-viewer-config");
        await page.evaluate(() => localStorage.removeItem("kanade_token"));
        await signIn(page, url, be.token);
        noConsoleErrors(env, "viewer");
      });

      await t.step(
        "API reference: every route from /api/openapi.json, filtered, opened",
        async () => {
          const doc = await be.json<{ paths: Record<string, Record<string, unknown>> }>(
            "GET",
            "/api/openapi.json",
          );
          const total = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
          await nav(page, "API reference", "/api-docs");
          await page.waitForSelector("#api-ops details.api-op");
          assert.equal(await page.$$eval("#api-ops details.api-op", (d) => d.length), total);
          assert.match(
            await textOf(page, "#api-summary"),
            new RegExp(`: ${total} of ${total} routes`),
          );
          // The filter narrows by path words, method and role.
          await page.fill("#api-filter", "perf top");
          await page.waitForFunction(() =>
            document.querySelectorAll("#api-ops details.api-op").length === 1
          );
          assert.match(await textOf(page, "#api-summary"), new RegExp(`: 1 of ${total} routes`));
          // Opened by keyboard: role, the query parameters with their ranges, the response tree.
          await page.focus("#get_perf_top > summary");
          await page.keyboard.press("Enter");
          const op = await textOf(page, "#get_perf_top");
          assert.match(op, /Least role: viewer/);
          assert.match(op, /limit\s*query\s*no\s*integer 1\.\.50/);
          assert.match(op, /window_seconds/);
          assert.match(op, /400/);
          await page.fill("#api-filter", "jobs post operator");
          await page.waitForFunction(() =>
            document.querySelectorAll("#api-ops details.api-op").length >= 1
          );
          await page.click("#post_jobs > summary");
          assert.match(await textOf(page, "#post_jobs"), /application\/yaml/);
          await screenshot(page, "p19-api-reference");
          await page.fill("#api-filter", "no such route at all");
          await page.waitForSelector("#api-ops .empty");
          noConsoleErrors(env, "api reference");
        },
      );

      await t.step("dark theme screenshots; the menu closes with Escape", async () => {
        await page.emulateMedia({ colorScheme: "dark" });
        for (
          const [path, sel, name] of [
            ["/agents/PC-0002", "#chart-cpu", "p12-agent-perf-dark"],
            ["/events?pc=PC-0001", "#events-list tbody tr", "p13-events-dark"],
            [
              "/inventory/search?job=inv-apps-ui&field=apps",
              "#is-results tbody tr",
              "p14-search-dark",
            ],
            ["/rollout", "#releases-list tbody tr", "p15-rollout-dark"],
          ]
        ) {
          await page.goto(`${url}${path}`);
          await page.waitForSelector(sel);
          await screenshot(page, name);
        }
        await page.click("#nav-group-fleet");
        await screenshot(page, "p16-menu-open-dark");
        await page.keyboard.press("Escape");
        assert.equal(await page.getAttribute("#nav-group-fleet", "aria-expanded"), "false");
        assert.equal(await page.evaluate(() => document.activeElement?.id), "nav-group-fleet");
        await page.emulateMedia({ colorScheme: "light" });
        noConsoleErrors(env, "dark theme");
      });

      // Their keyboard and axe checks are the a11y walk's (a11y_test.ts, every route).
      const pages = [
        "/run",
        "/events",
        "/logs",
        "/config",
        "/groups",
        "/rollout",
        "/jetstream",
        "/inventory",
        "/inventory/inv-apps-ui",
        "/inventory/inv-apps-ui/PC-0001",
        "/inventory/search",
        "/agents/PC-0001",
        "/api-docs",
      ];
      await t.step("a phone shows every new page without sideways scrolling", async () => {
        // On a phone the new pages fit the width (tables scroll inside their own box).
        await page.setViewportSize({ width: 390, height: 844 });
        for (const p of [...pages, "/dashboard"]) {
          await page.goto(`${url}${p}`);
          await page.waitForSelector("main h1");
          await page.waitForFunction(() => !document.querySelector("main .loading"));
          const overflow = await page.evaluate(() =>
            document.documentElement.scrollWidth > document.documentElement.clientWidth
          );
          assert.equal(overflow, false, `horizontal scrolling on a phone: ${p}`);
          if (p === "/agents/PC-0001") await screenshot(page, "p17-phone-agent");
          if (p === "/inventory/search") await screenshot(page, "p18-phone-search");
        }
        await page.setViewportSize({ width: 1280, height: 860 });
        noConsoleErrors(env, "phone");
      });
    } finally {
      await stopEnv(env);
    }
  },
);
