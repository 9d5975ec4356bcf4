/// <reference lib="dom" />
/**
 * Browser test helper: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), a fresh profile per run, console-error capture per page, screenshots under
 * tests/screenshots/ (gitignored).
 */
import assert from "node:assert/strict";
import { type BrowserContext, chromium, type ConsoleMessage, type Page } from "playwright-core";

export const CHROMIUM = Deno.env.get("KANADE_CHROMIUM") ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = new URL("../screenshots/", import.meta.url);

export function chromiumAvailable(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
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

/** Unlabelled controls, nameless buttons/links, landmarks, one h1, duplicate ids. */
export function a11yProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const visible = (el: Element) => {
      const r = (el as HTMLElement).getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    };
    for (const el of document.querySelectorAll("input, select, textarea")) {
      const c = el as HTMLInputElement;
      if (!visible(c) || c.type === "hidden") continue;
      if (
        !c.labels?.length && !c.getAttribute("aria-label") &&
        !c.getAttribute("aria-labelledby")
      ) {
        problems.push(`unlabelled ${c.tagName.toLowerCase()}#${c.id}`);
      }
    }
    for (const b of document.querySelectorAll("button, a[href]")) {
      if (!visible(b)) continue;
      const name = (b.getAttribute("aria-label") ?? b.textContent ?? "").trim();
      if (!name) problems.push(`nameless ${b.tagName.toLowerCase()}#${b.id}`);
    }
    if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
    for (const sel of ["header", "nav", "main"]) {
      if (!document.querySelector(sel)) problems.push(`no ${sel} landmark`);
    }
    const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
    const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (dup.length) problems.push(`duplicate ids ${[...new Set(dup)].join(",")}`);
    return problems;
  });
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

/**
 * Opens `pageUrl` and asserts the page is usable by keyboard and screen reader: labelled
 * controls, named buttons and links, landmarks, one h1, unique ids, every control
 * reachable by Tab with a visible focus ring.
 */
export async function assertKeyboardUsable(page: Page, pageUrl: string) {
  const p = new URL(pageUrl).pathname + new URL(pageUrl).search;
  await page.goto(pageUrl);
  await page.waitForSelector("main h1");
  await page.waitForFunction(() => !document.querySelector("main .loading"));
  assert.deepEqual(await a11yProblems(page), [], `accessibility problems on ${p}`);
  const missed = await tabThrough(page);
  assert.deepEqual(missed.unreached, [], `unreachable by Tab on ${p}`);
  assert.deepEqual(missed.noFocusRing, [], `no visible focus on ${p}`);
}

/** Tab until the focused element matches `selector`. */
export async function focusByTab(page: Page, selector: string) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) {
      return;
    }
  }
  throw new Error(`could not reach ${selector} with Tab`);
}

/**
 * Presses Tab through the page (Escape first inside the YAML editor, its documented way
 * out) and reports visible focusable controls never reached, and focused elements with
 * no visible focus indicator.
 */
export async function tabThrough(
  page: Page,
): Promise<{ unreached: string[]; noFocusRing: string[] }> {
  const { candidates, stops } = await page.evaluate(() => {
    // Radios of one group share a tab stop (arrow keys move within it).
    const key = (el: Element) =>
      (el as HTMLInputElement).type === "radio" ? `radio group ${el.getAttribute("name")}` : [
        el.tagName.toLowerCase(),
        el.id,
        el.getAttribute("href"),
        el.getAttribute("aria-label"),
        // A select's text is its options, which a page may still be filling in.
        el.tagName === "SELECT" ? "" : (el.textContent || "").trim().slice(0, 40),
        el.getAttribute("name"),
      ].filter(Boolean).join(" ");
    const sel = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), " +
      'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
    const els = [...document.querySelectorAll(sel)].filter((el) => {
      const r = (el as HTMLElement).getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden" &&
        !el.closest("details:not([open])");
    });
    (document.activeElement as HTMLElement | null)?.blur();
    // The same key names what each Tab press reaches (see the loop below).
    (globalThis as unknown as { kanadeTabKey: typeof key }).kanadeTabKey = key;
    // Tab stops, counting repeats (one key per distinct control) and <summary> toggles.
    const summaries = [...document.querySelectorAll("summary")].filter((el) =>
      !el.parentElement?.parentElement?.closest("details:not([open])")
    ).length;
    return { candidates: [...new Set(els.map(key))], stops: els.length + summaries };
  });
  const reached = new Set<string>();
  const noFocusRing: string[] = [];
  // Date inputs take one Tab per segment, so allow more presses than controls; stop early
  // once everything was reached.
  // (`reached` also holds stops that are no candidate, such as <summary>: compare by key.)
  const done = () => candidates.every((k) => reached.has(k));
  for (let i = 0; i < stops * 2 + 20 && !done(); i++) {
    const inEditor = await page.evaluate(() => document.activeElement?.tagName === "TEXTAREA");
    if (inEditor) await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const key = (globalThis as unknown as { kanadeTabKey: (el: Element) => string })
        .kanadeTabKey;
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const editor = el.closest(".editor");
      const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) ||
        cs.boxShadow !== "none" ||
        (editor !== null && getComputedStyle(editor).outlineStyle !== "none");
      return { key: key(el), ring };
    });
    if (Deno.env.get("KANADE_TAB_DEBUG")) console.log("tab", i, info?.key ?? "(body)");
    if (!info) continue;
    reached.add(info.key);
    if (!info.ring) noFocusRing.push(info.key);
  }
  return {
    unreached: candidates.filter((k) => !reached.has(k)),
    noFocusRing: [...new Set(noFocusRing)],
  };
}
