/// <reference lib="dom" />
/**
 * Browser test helper: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), a fresh profile per run, console-error capture per page, screenshots under
 * tests/screenshots/ (gitignored).
 */
import { type BrowserContext, chromium, type ConsoleMessage, type Page } from "playwright-core";
import { recordMouseListeners } from "./a11y.ts";

// The accessibility and keyboard checks live in a11y.ts; the suites import them from here.
export { assertKeyboardUsable, focusByTab, tabThrough } from "./a11y.ts";

export const CHROMIUM = Deno.env.get("KANADE_CHROMIUM") ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = new URL("../screenshots/", import.meta.url);

export function chromiumAvailable(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/**
 * A test that drives Chromium: when the browser is missing it is ignored and says so in
 * its name. Playwright keeps timers and sockets of its driver across steps, so the op and
 * resource sanitizers are off.
 */
export function chromiumTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  const have = chromiumAvailable();
  Deno.test({
    name: have ? name : `${name.split(":")[0]} (IGNORED: ${CHROMIUM} is not installed)`,
    ignore: !have,
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "kanade-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 860 },
    colorScheme: "light",
    reducedMotion: "reduce",
  });
  await recordMouseListeners(context);
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** Console errors and uncaught page errors seen on a page, with an "expected" escape hatch. */
export class ConsoleWatch {
  errors: string[] = [];
  /** Messages matching one of these are expected (a step that provokes a 4xx on purpose). */
  allow: RegExp[] = [];
  constructor(page: Page) {
    page.on("console", (m: ConsoleMessage) => {
      if (m.type() !== "error") return;
      const text = `${m.text()} @ ${m.location().url}`;
      if (this.allow.some((r) => r.test(text))) return;
      this.errors.push(text);
    });
    page.on("pageerror", (e: Error) => this.errors.push(`pageerror: ${e.message}`));
  }
  /** Runs `fn` with some console errors tolerated (e.g. the 401 the test provokes). */
  async expecting<T>(patterns: RegExp[], fn: () => Promise<T>): Promise<T> {
    this.allow.push(...patterns);
    try {
      return await fn();
    } finally {
      this.allow.splice(this.allow.length - patterns.length, patterns.length);
    }
  }
  take(): string[] {
    const e = this.errors;
    this.errors = [];
    return e;
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: true });
}

/**
 * Client-side navigation through the main menu, as a user does it: open the menu section
 * holding the link when it is closed, click the link, wait for the page and check the
 * current-page marker.
 */
export async function nav(page: Page, label: string, path: string) {
  const link = `#nav a[href="${path}"]`;
  if (!await page.isVisible(link)) {
    const section = await page.$eval(link, (a) => a.closest("ul")?.id ?? "");
    await page.click(`#nav button[aria-controls="${section}"]`);
  }
  await page.click(link);
  await page.waitForFunction((p) => location.pathname === p, path);
  await page.waitForSelector("main h1");
  const current = await page.textContent("#nav a[aria-current=page]") ?? "";
  if (!new RegExp(label).test(current)) {
    throw new Error(`nav marks "${current}" as current, expected ${label}`);
  }
}
