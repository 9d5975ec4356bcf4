/**
 * The browser suites' environment: the real backend listening on a port, a private
 * broker, simulated agents (all online before the browser opens), and one Chromium page
 * with console-error capture. Shared by every suite under tests/browser/.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  startTestBackend,
  type TestBackend,
  type TestBackendOptions,
  waitFor,
} from "../helpers/backend.ts";
import { type Fleet, startFleet } from "../../simulator/fleet.ts";
import { type Browser, ConsoleWatch, launchBrowser } from "./browser.ts";

export interface Env {
  be: TestBackend;
  fleet: Fleet;
  url: string;
  browser: Browser;
  page: Page;
  watch: ConsoleWatch;
}

export interface EnvOptions {
  backend: TestBackendOptions;
  pcs: string[];
  groups: Record<string, string[]>;
  seed: number;
  /** Runs once the backend listens, before the agents start (e.g. config they read). */
  beforeFleet?: (be: TestBackend) => Promise<void>;
}

export async function startEnv(o: EnvOptions): Promise<Env> {
  const be = await startTestBackend(o.backend);
  let fleet: Fleet | null = null;
  try {
    const { url } = await be.listen();
    await o.beforeFleet?.(be);
    fleet = await startFleet({
      natsUrl: be.broker.url,
      agents: o.pcs,
      groups: (pc) => o.groups[pc] ?? [],
      writeGroups: true,
      heartbeatIntervalMs: 1000,
      seed: o.seed,
    });
    await waitFor(async () => {
      const r = await be.request("/api/agents?status=online&limit=10");
      await r.body?.cancel();
      return r.headers.get("x-online-count") === String(o.pcs.length);
    }, { timeoutMs: 15_000, what: "all simulated agents online" });
    const browser = await launchBrowser();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    return { be, fleet, url, browser, page, watch: new ConsoleWatch(page) };
  } catch (e) {
    await fleet?.stop();
    await be.stop();
    throw e;
  }
}

export async function stopEnv(env: Env) {
  await env.browser.close();
  await env.fleet.stop();
  await env.be.stop();
}

export function noConsoleErrors(env: Env, where: string) {
  assert.deepEqual(env.watch.take(), [], `console errors on ${where}`);
}

/** The "Failed to load resource" line Chromium logs for an error status, per status. */
export const httpError = (status: number) => new RegExp(`status of ${status}\\b`);

/** POSTs a YAML body (a job or a schedule) and expects 200. */
export async function postYaml(be: TestBackend, path: string, yaml: string) {
  const r = await be.request(path, {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body: yaml,
  });
  assert.equal(r.status, 200, await r.text());
}

export const pathIs = (page: Page, re: RegExp) =>
  page.waitForFunction((src) => new RegExp(src).test(location.pathname), re.source);

/** Signs in on the login page with a pasted token and waits for the dashboard. */
export async function signIn(page: Page, url: string, token: string) {
  await page.goto(`${url}/login`);
  await page.fill("#token", token);
  await page.click("#login-submit");
  await pathIs(page, /^\/dashboard$/);
}

/** Opens the confirm dialog with a click on `open`, then confirms it (its danger button). */
export async function confirm(page: Page, open: string) {
  await page.click(open);
  await page.waitForSelector("dialog[open] button[value=ok]");
  await page.click("dialog[open] button[value=ok]");
}
