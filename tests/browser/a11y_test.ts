/// <reference lib="dom" />
/**
 * Every dashboard page, found by walking the client-side route table
 * (`static/assets/js/routes.js`), passes axe-core's WCAG 2.1 A + AA rules in the light
 * and the dark theme and works by keyboard: the skip link is the first Tab stop and moves
 * focus into the page, every control is reached by Tab with a visible focus ring, and no
 * element answers to the mouse only. The open menu and a confirm dialog are checked too.
 *
 * A new page is covered as soon as its route is in the table; a route with parameters
 * needs a concrete path in `FIXTURE_PATHS` (the walk fails and says so otherwise).
 * Real backend with projectors, a private broker and simulated agents; the data below
 * gives every detail page something to show.
 */
import assert from "node:assert/strict";
import { type TestBackend, waitFor } from "../helpers/backend.ts";
import { ROUTES } from "../../static/assets/js/routes.js";
import { chromiumTest } from "./browser.ts";
import { accessibilityProblems, axeBothThemes, settled } from "./a11y.ts";
import { noConsoleErrors, pathIs, postYaml, startEnv, stopEnv } from "./env.ts";
import { emitEventsYaml } from "../helpers/emit_job.ts";

const PCS = ["PC-0001", "PC-0002"];

const HELLO_YAML = `id: hello-a11y
version: "1.0.0"
description: Greets from every PC
execute:
  shell: powershell
  script: |
    echo hello {{pc_id}}
  timeout: 30s
`;
const SCHEDULE_YAML = `id: nightly-a11y
job_id: hello-a11y
when:
  calendar:
    at: "03:00"
target:
  groups: [lab]
`;
/** Observability events of every PC (the events page and dashboard list). */
const EVENTS_YAML = emitEventsYaml("emit-a11y", [
  { kind: "logon", source: "agent:test", payload: { user: "alice" } },
  { kind: "service_stop", source: "agent:test", payload: { service: "Spooler" } },
]);
const INVENTORY_YAML = `id: inv-a11y
version: "1.0.0"
description: Installed software
execute:
  shell: powershell
  script: 'json {"os":"Windows 11","apps":[{"name":"Chrome","version":"120.0"}]}'
  timeout: 30s
inventory:
  display:
    - field: os
      label: OS
  explode:
    - field: apps
      table: inv_apps_a11y
      primary_key: [name]
      columns:
        - field: name
          type: text
        - field: version
          type: text
      track_history: true
`;

/** Concrete paths for the routes with parameters (and pages better seen with a query). */
type Fixtures = Record<string, string>;

/**
 * The paths the walk visits: one per route of the table (a fixture path when the route has
 * one, else the pattern itself), plus an unknown path for the not-found page. Throws for a
 * route with parameters and no fixture, so a new detail page cannot go unchecked.
 */
export function pagesToCheck(
  routes: { pattern: string; page: string }[],
  fixtures: Fixtures,
): { page: string; path: string }[] {
  const missing = routes.filter((r) => r.pattern.includes(":") && !fixtures[r.pattern]);
  if (missing.length) {
    throw new Error(
      `a11y walk: no fixture path for ${missing.map((r) => r.pattern).join(", ")} ` +
        "(add one to FIXTURE_PATHS in tests/browser/a11y_test.ts)",
    );
  }
  const out = routes.map((r) => ({ page: r.page, path: fixtures[r.pattern] ?? r.pattern }));
  out.push({ page: "not_found", path: "/no-such-page" });
  return out;
}

Deno.test("a11y walk: every route is visited, a parameter route without fixture fails", () => {
  const routes = [
    { pattern: "/a", page: "a" },
    { pattern: "/a/:id", page: "a_detail" },
  ];
  assert.throws(() => pagesToCheck(routes, {}), /no fixture path for \/a\/:id/);
  assert.deepEqual(pagesToCheck(routes, { "/a/:id": "/a/1", "/a": "/a?x=1" }), [
    { page: "a", path: "/a?x=1" },
    { page: "a_detail", path: "/a/1" },
    { page: "not_found", path: "/no-such-page" },
  ]);
});

/** Fills the backend so that every page has rows, details and charts to show. */
async function seed(be: TestBackend): Promise<Fixtures> {
  await postYaml(be, "/api/jobs", HELLO_YAML);
  await postYaml(be, "/api/jobs", INVENTORY_YAML);
  await postYaml(be, "/api/jobs", EVENTS_YAML);
  await postYaml(be, "/api/schedules", SCHEDULE_YAML);
  const { exec_id: execId } = await be.json<{ exec_id: string }>(
    "POST",
    "/api/exec/hello-a11y",
    { target: { all: true } },
  );
  await be.json("POST", "/api/exec/inv-a11y", { target: { all: true } });
  await be.json("POST", "/api/exec/emit-a11y", { target: { all: true } });
  // A compliance check every PC fails (the compliance cards and the agent page's checks).
  await be.json("POST", "/api/jobs", {
    id: "check-a11y",
    version: "1.0.0",
    execute: {
      shell: "powershell",
      script: 'json {"status":"fail","detail":"C: not protected"}',
      timeout: "30s",
    },
    check: { name: "bitlocker", label: "BitLocker on" },
  });
  await be.json("POST", "/api/exec/check-a11y", { target: { all: true } });
  const results = await waitFor(async () => {
    const r = await be.json<{ result_id: string }[]>(
      "GET",
      `/api/results?exec_id=${execId}`,
    );
    return r.length === PCS.length ? r : null;
  }, { what: "hello results of every PC", timeoutMs: 30_000 });
  // The page of a finished execution has no Kill button: wait for the counters.
  await waitFor(async () => {
    const e = await be.json<{ execution: { status: string } }>(
      "GET",
      `/api/executions/${execId}`,
    );
    return e.execution.status === "completed";
  }, { what: "execution completed", timeoutMs: 30_000 });
  await waitFor(async () => {
    const r = await be.json<unknown[]>("GET", "/api/inventory/inv-a11y/search/apps");
    return r.length === PCS.length;
  }, { what: "exploded inventory rows", timeoutMs: 30_000 });
  await waitFor(async () => {
    const r = await be.json<{ events: unknown[] }>("GET", "/api/obs_events?limit=50");
    return r.events.length === 2 * PCS.length;
  }, { what: "observability events of every PC", timeoutMs: 30_000 });
  await waitFor(async () => {
    const r = await be.json<{ counts: { fail: number }[] }>("GET", "/api/checks");
    return r.counts[0]?.fail === PCS.length;
  }, { what: "a failing check on every PC", timeoutMs: 30_000 });
  const note = await be.json<{ id: string }>("POST", "/api/notifications", {
    priority: "warn",
    title: "Maintenance",
    body: "22:00 for 30 min",
    require_ack: true,
    target: { all: true },
  });
  return {
    "/notifications/:id": `/notifications/${note.id}`,
    "/agents/:pc": "/agents/PC-0001",
    "/inventory/:manifestId": "/inventory/inv-a11y",
    "/inventory/:manifestId/:pc": "/inventory/inv-a11y/PC-0001",
    "/inventory/search": "/inventory/search?job=inv-a11y&field=apps",
    "/jobs/:id": "/jobs/hello-a11y",
    "/schedules/:id": "/schedules/nightly-a11y",
    "/executions/:execId": `/executions/${execId}`,
    "/activity/:resultId": `/activity/${results[0].result_id}`,
  };
}

chromiumTest(
  "a11y walk in Chromium: every page of the route table, light and dark, axe WCAG 2.1 AA and keyboard",
  async (t) => {
    const env = await startEnv({
      backend: { projectors: true },
      pcs: PCS,
      groups: { "PC-0001": ["canary"], "PC-0002": ["lab"] },
      seed: 14,
      beforeFleet: (be) => be.json("PUT", "/api/config", { host_perf_interval: "1s" }),
    });
    const { page, url, be } = env;
    const failures: string[] = [];
    try {
      const fixtures = await seed(be);
      const walk = pagesToCheck(ROUTES, fixtures);

      await t.step("login page, signed out", async () => {
        await page.goto(`${url}/login`);
        await settled(page);
        const problems = await accessibilityProblems(page);
        if (problems.length) failures.push(`/login:\n  ${problems.join("\n  ")}`);
        await page.fill("#token", be.token);
        await page.click("#login-submit");
        await pathIs(page, /^\/dashboard$/);
        noConsoleErrors(env, "login");
      });

      await t.step(`every route (${walk.length} paths), light and dark`, async () => {
        // KANADE_A11Y_ONLY=<regex> narrows the walk while fixing a page.
        const only = new RegExp(Deno.env.get("KANADE_A11Y_ONLY") ?? "");
        for (const { path } of walk) {
          if (path === "/login" || !only.test(path)) continue;
          await env.watch.expecting([/status of 404/], async () => {
            await page.goto(`${url}${path}`);
            await settled(page);
          });
          const problems = await accessibilityProblems(page);
          if (problems.length) failures.push(`${path}:\n  ${problems.join("\n  ")}`);
          noConsoleErrors(env, path);
        }
      });

      await t.step("menu and confirm dialog: axe in both themes, Enter/Space/Escape", async () => {
        await page.goto(`${url}/jobs`);
        await settled(page);
        await page.focus("#nav-group-operate");
        await page.keyboard.press("Enter");
        await page.waitForSelector("#nav-menu-operate:not([hidden])");
        const menu = await axeBothThemes(page);
        if (menu.length) failures.push(`open menu:\n  ${menu.join("\n  ")}`);
        await page.keyboard.press("Escape");
        await page.waitForSelector("#nav-menu-operate[hidden]", { state: "attached" });
        const focused = () =>
          page.evaluate(() =>
            `${document.activeElement?.id} ${document.activeElement?.getAttribute("aria-label")}`
          );
        assert.match(await focused(), /^nav-group-operate /, "Escape returns focus");
        // The dialog closes first; its action's promise settles and hands focus back on a
        // later task, so wait (bounded) for where focus lands instead of reading it at once.
        const focusSettles = async (want: RegExp, what: string) => {
          const until = Date.now() + 5_000;
          while (!want.test(await focused()) && Date.now() < until) {
            await new Promise((r) => setTimeout(r, 25));
          }
          assert.match(await focused(), want, what);
        };
        const del = 'button[aria-label="Delete hello-a11y"]';
        await page.waitForSelector(del);
        await page.focus(del);
        await page.keyboard.press("Space");
        await page.waitForSelector("dialog[open]");
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel");
        const dialog = await axeBothThemes(page);
        if (dialog.length) failures.push(`confirm dialog:\n  ${dialog.join("\n  ")}`);
        await page.keyboard.press("Escape");
        await page.waitForFunction(() => !document.querySelector("dialog[open]"));
        await focusSettles(/Delete hello-a11y$/, "Escape returns focus");
        // A live refresh while the dialog is open replaces the row and its button: focus
        // goes to the button that took its place, not to the top of the document.
        await page.keyboard.press("Space");
        await page.waitForSelector("dialog[open]");
        await page.evaluate((sel) => {
          const b = document.querySelector(sel)!;
          const fresh = b.cloneNode(true) as HTMLButtonElement; // as a re-render draws it
          fresh.disabled = false;
          fresh.removeAttribute("aria-busy");
          b.replaceWith(fresh);
        }, del);
        await page.keyboard.press("Escape");
        await page.waitForFunction(() => !document.querySelector("dialog[open]"));
        await focusSettles(/Delete hello-a11y$/, "focus returns to the new opener");
        noConsoleErrors(env, "menu and dialog");
      });

      assert.deepEqual(failures, [], `accessibility problems:\n${failures.join("\n")}`);
    } finally {
      await stopEnv(env);
    }
  },
);
