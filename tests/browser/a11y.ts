/// <reference lib="dom" />
/**
 * Accessibility checks of the browser suites: axe-core (through `@axe-core/playwright`)
 * with the WCAG 2.1 A and AA rules, in the light and the dark theme, plus the keyboard
 * checks axe cannot make: the skip link, every control reachable by Tab with a visible
 * focus ring, and no element that reacts to the mouse only.
 *
 * `assertKeyboardUsable(page, url)` runs all of them on one page; `a11y_test.ts` walks the
 * route table with it, the other suites call it on the states they build.
 */
import assert from "node:assert/strict";
import { AxeBuilder } from "@axe-core/playwright";
import type { BrowserContext, Page } from "playwright-core";

/** The project standard: WCAG 2.1 level A and AA. */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/**
 * axe's best-practice rules the dashboard keeps on top of WCAG (they replaced the
 * hand-rolled checks: one main landmark, one h1, all content inside landmarks).
 */
const EXTRA_RULES = ["landmark-one-main", "page-has-heading-one", "region"];

/**
 * axe violations on the page as it is now, one line per rule with its nodes, e.g.
 * `color-contrast (serious): Elements must meet minimum color contrast ratio thresholds:
 * .badge-ok "success" (contrast 4.1:1)`.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    // Legacy mode runs axe in the page itself; the dashboard has no iframes, and the
    // default mode opens a blank page per analysis to merge the frames' results.
    .setLegacyMode(true)
    .options({ rules: Object.fromEntries(EXTRA_RULES.map((r) => [r, { enabled: true }])) })
    .withTags(WCAG_TAGS)
    .analyze();
  return results.violations.map((v) => {
    const nodes = v.nodes.slice(0, 6).map((n) => {
      const detail = n.any[0]?.message ?? n.all[0]?.message ?? n.none[0]?.message ?? "";
      return `${n.target.join(" ")} (${detail})`;
    });
    const more = v.nodes.length > 6 ? ` and ${v.nodes.length - 6} more` : "";
    return `${v.id} (${v.impact}): ${v.help}: ${nodes.join("; ")}${more}`;
  });
}

export type Theme = "light" | "dark";

/** axe in both themes; returns the violations prefixed with the theme. */
export async function axeBothThemes(page: Page): Promise<string[]> {
  const out: string[] = [];
  // Back to the scheme the caller had (a suite may be taking dark screenshots).
  const was = await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches);
  for (const theme of ["light", "dark"] as Theme[]) {
    await page.emulateMedia({ colorScheme: theme });
    // The theme switch is a style recalculation; give it one frame before measuring.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    for (const v of await axeViolations(page)) out.push(`[${theme}] ${v}`);
  }
  await page.emulateMedia({ colorScheme: was ? "dark" : "light" });
  return out;
}

/**
 * Records, in every page of the context, the elements given a mouse listener
 * (`click`, `dblclick`, `mousedown`, `mouseup`, `pointerdown`, `pointerup`), so that
 * `mouseOnlyElements` can find those a keyboard user cannot operate. Call before the
 * pages load.
 */
export async function recordMouseListeners(context: BrowserContext) {
  await context.addInitScript(() => {
    const mouse = new Set([
      "click",
      "dblclick",
      "mousedown",
      "mouseup",
      "pointerdown",
      "pointerup",
    ]);
    const seen: WeakRef<Element>[] = [];
    (globalThis as unknown as { kanadeMouseTargets: WeakRef<Element>[] }).kanadeMouseTargets = seen;
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (
      this: EventTarget,
      type: string,
      ...rest: unknown[]
    ) {
      if (mouse.has(type) && this instanceof Element) seen.push(new WeakRef(this));
      // deno-lint-ignore no-explicit-any
      return (add as any).call(this, type, ...rest);
    };
  });
}

/**
 * Visible elements with a mouse listener that the keyboard cannot operate: neither a
 * native control (button, link, form field, summary, label) nor focusable through
 * `tabindex`. Listeners on the document, body or main (event delegation) do not count.
 */
export function mouseOnlyElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const refs = (globalThis as unknown as { kanadeMouseTargets?: WeakRef<Element>[] })
      .kanadeMouseTargets ?? [];
    const native = "a[href], button, input, select, textarea, summary, label, [tabindex]";
    const out = new Set<string>();
    for (const ref of refs) {
      const el = ref.deref();
      if (!el || !el.isConnected) continue;
      if (["HTML", "BODY", "MAIN"].includes(el.tagName) || el.tagName === "DIALOG") continue;
      const r = (el as HTMLElement).getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const focusable = el.matches(native) && (el as HTMLElement).tabIndex >= 0;
      if (focusable || el.closest("label")) continue;
      const id = el.id ? `#${el.id}` : "";
      const cls = el.classList.length ? `.${[...el.classList].join(".")}` : "";
      const text = (el.textContent ?? "").trim().slice(0, 30);
      out.add(`${el.tagName.toLowerCase()}${id}${cls} "${text}"`);
    }
    return [...out];
  });
}

/** Waits until the page has rendered (its h1 is there and nothing is loading). */
export async function settled(page: Page) {
  await page.waitForSelector("main h1");
  await page.waitForFunction(() => !document.querySelector("main .loading"));
}

/**
 * The keyboard checks of a page just opened: the skip link is the first Tab stop and
 * Enter on it moves focus into the main content; every control is reached by Tab with a
 * visible focus ring; no element reacts to the mouse only.
 */
export async function keyboardProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  // A page that puts focus in its first field (sign-in, a new job's editor) skips the
  // skip link on purpose: focus must then be inside main, and the link still work.
  const autofocus = await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    return { inMain: document.getElementById("main")?.contains(el) ?? false, id: el.id };
  });
  if (autofocus && !autofocus.inMain) {
    problems.push(`focus starts outside main, on #${autofocus.id}`);
  }
  if (autofocus) await page.focus(".skip-link");
  else await page.keyboard.press("Tab");
  const first = await page.evaluate(() => document.activeElement?.className ?? "");
  if (first !== "skip-link") problems.push(`first Tab stop is "${first}", not the skip link`);
  else {
    // The page must stay as it is: the app shell's "Loading page…" (it starts every
    // render) must not appear. A page refreshing its own data meanwhile does not count.
    await page.evaluate(() => {
      const w = globalThis as unknown as { kanadeRerendered: boolean };
      w.kanadeRerendered = false;
      const main = document.getElementById("main")!;
      const obs = new MutationObserver(() => {
        if (/^Loading page/.test(main.querySelector(":scope > .loading")?.textContent ?? "")) {
          w.kanadeRerendered = true;
        }
      });
      obs.observe(main, { childList: true });
      setTimeout(() => obs.disconnect(), 500);
    });
    await page.keyboard.press("Enter");
    await page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
    const after = await page.evaluate(() => ({
      inMain: document.getElementById("main")?.contains(document.activeElement) ?? false,
      same: !(globalThis as unknown as { kanadeRerendered: boolean }).kanadeRerendered,
    }));
    if (!after.inMain) problems.push("Enter on the skip link does not move focus into main");
    if (!after.same) problems.push("Enter on the skip link renders the page again");
  }
  const tab = await tabThrough(page);
  for (const k of tab.unreached) problems.push(`not reachable by Tab: ${k}`);
  for (const k of tab.noFocusRing) problems.push(`no visible focus: ${k}`);
  for (const k of await mouseOnlyElements(page)) problems.push(`mouse only: ${k}`);
  return problems;
}

/** axe in both themes and the keyboard checks of the page as it is now. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return [...await axeBothThemes(page), ...await keyboardProblems(page)];
}

/**
 * Opens `pageUrl` and asserts it passes axe (WCAG 2.1 A + AA, light and dark) and the
 * keyboard checks. `axe: false` runs the keyboard checks alone, for a page whose axe run
 * (which covers both themes) was made already and whose keyboard checks are repeated in
 * the other theme (a focus ring visible in light must be in dark too).
 */
export async function assertKeyboardUsable(
  page: Page,
  pageUrl: string,
  opts: { axe?: boolean } = {},
) {
  const u = new URL(pageUrl);
  await page.goto(pageUrl);
  await settled(page);
  assert.deepEqual(
    opts.axe === false ? await keyboardProblems(page) : await accessibilityProblems(page),
    [],
    `accessibility problems on ${u.pathname}${u.search}`,
  );
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
        // A select's text is its options, which a page may still be filling in; an element
        // with an id is named by it (live pages change the text of output boxes).
        el.tagName === "SELECT" || el.id ? "" : (el.textContent || "").trim().slice(0, 40),
        el.getAttribute("name"),
      ].filter(Boolean).join(" ");
    const sel = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), " +
      'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
    const candidates = () =>
      [...document.querySelectorAll(sel)].filter((el) => {
        const r = (el as HTMLElement).getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden" &&
          !el.closest("details:not([open])");
      });
    const els = candidates();
    (document.activeElement as HTMLElement | null)?.blur();
    // The same key names what each Tab press reaches (see the loop below), and the
    // candidates still there at the end (a live page may remove a control meanwhile).
    (globalThis as unknown as { kanadeTabKey: typeof key }).kanadeTabKey = key;
    (globalThis as unknown as { kanadeTabNow: () => string[] }).kanadeTabNow = () =>
      candidates().map(key);
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
  // Whether the focus is in the YAML editor now, read with the previous stop (one browser
  // round trip a press fewer: the walks of the browser suites are mostly these presses).
  let inEditor = false;
  for (let i = 0; i < stops * 2 + 20 && !done(); i++) {
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
      return { key: key(el), ring, inEditor: el.tagName === "TEXTAREA" };
    });
    if (Deno.env.get("KANADE_TAB_DEBUG")) console.log("tab", i, info?.key ?? "(body)");
    inEditor = info?.inEditor ?? false;
    if (!info) continue;
    reached.add(info.key);
    if (!info.ring) noFocusRing.push(info.key);
  }
  const still = new Set(
    await page.evaluate(() =>
      (globalThis as unknown as { kanadeTabNow: () => string[] }).kanadeTabNow()
    ),
  );
  return {
    unreached: candidates.filter((k) => !reached.has(k) && still.has(k)),
    noFocusRing: [...new Set(noFocusRing)],
  };
}
