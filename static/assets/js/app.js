// @ts-check
/// <reference lib="dom" />
/**
 * The shell: navigation, client-side routing (History API), auth gate, theme toggle,
 * live-state indicator. Pages are ES modules under `pages/` exporting
 * `title` and `render(ctx)`; the router aborts the previous page's work on navigation.
 */
import * as api from "./api.js";
import * as session from "./session.js";
import { live } from "./live.js";
import { matchRoute, navFor, navTree } from "./routes.js";
import { h, mount } from "./dom.js";
import { errorBox, loading, toast } from "./ui.js";

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const navList = /** @type {HTMLElement} */ (document.getElementById("nav-list"));
const announcer = /** @type {HTMLElement} */ (document.getElementById("announcer"));

/** @type {AbortController | null} */
let current = null;
let firstRender = true;

// ---- navigation -----------------------------------------------------------------------

/**
 * @param {string} to
 * @param {{replace?: boolean}} [opts]
 */
export function navigate(to, opts = {}) {
  if (opts.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  void render();
}

/**
 * The menu: top-level links plus sections that open as disclosure menus (a button with
 * aria-expanded controlling a list), so the bar stays one line as pages are added.
 */
function buildNav() {
  mount(
    navList,
    navTree().map((item) => {
      if (item.kind === "link") {
        return h(
          "li",
          { "data-min-role": item.minRole },
          h("a", { href: item.pattern, "data-nav": item.pattern }, item.label),
        );
      }
      const listId = `nav-menu-${item.id}`;
      const btn = h("button", {
        type: "button",
        class: "nav-group",
        id: `nav-group-${item.id}`,
        "aria-expanded": "false",
        "aria-controls": listId,
      }, item.label);
      const list = h(
        "ul",
        { class: "nav-menu", id: listId, hidden: true, "aria-label": `${item.label} pages` },
        item.links.map((l) =>
          h(
            "li",
            { "data-min-role": l.minRole },
            h("a", { href: l.pattern, "data-nav": l.pattern }, l.label),
          )
        ),
      );
      btn.addEventListener("click", () => {
        const open = btn.getAttribute("aria-expanded") !== "true";
        closeMenus();
        btn.setAttribute("aria-expanded", String(open));
        list.hidden = !open;
      });
      return h("li", { class: "nav-section" }, btn, list);
    }),
  );
}

/** Closes every open menu section; returns the button of the one that was open. */
function closeMenus() {
  let was = null;
  for (const b of navList.querySelectorAll("button.nav-group")) {
    if (b.getAttribute("aria-expanded") === "true") was = b;
    b.setAttribute("aria-expanded", "false");
    const list = document.getElementById(b.getAttribute("aria-controls") ?? "");
    if (list) list.hidden = true;
  }
  return was;
}

/** @param {string} pathname */
function markNav(pathname) {
  const cur = navFor(pathname);
  for (const a of navList.querySelectorAll("a")) {
    if (a.getAttribute("data-nav") === cur) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  // A section holding the current page says so (its links are hidden while closed).
  for (const b of navList.querySelectorAll("button.nav-group")) {
    const list = document.getElementById(b.getAttribute("aria-controls") ?? "");
    const here = Boolean(list?.querySelector("a[aria-current=page]"));
    b.classList.toggle("current", here);
    if (here) b.setAttribute("aria-describedby", "nav-current-hint");
    else b.removeAttribute("aria-describedby");
  }
}

async function render() {
  current?.abort();
  const ctl = new AbortController();
  current = ctl;
  const { pathname, search } = location;
  const route = matchRoute(pathname);
  // The menu and the page area follow the click at once; who may see the page is
  // settled below (it may take a request).
  markNav(pathname);
  closeMenus();
  closeMobileNav();
  mount(main, loading("Loading page"));
  const token = api.getToken();
  // KANADE_AUTH_DISABLE (dev): the backend needs no token, so nobody signs in.
  const open = !token && await session.authDisabled();
  if (ctl.signal.aborted) return;
  const authed = Boolean(token) || open;
  document.body.classList.toggle("signed-out", !authed);
  /** @type {HTMLElement} */ (document.getElementById("signout")).hidden = !token;
  if (!route.public && !authed) {
    const next = pathname === "/" || pathname === "/login" ? "" : pathname + search;
    history.replaceState(null, "", next ? `/login?next=${encodeURIComponent(next)}` : "/login");
    return render();
  }
  if (pathname === "/" || (open && pathname === "/login")) {
    history.replaceState(null, "", "/dashboard");
    if (pathname === "/login") return render();
  }
  if (authed && !route.public) {
    // The backend's word on who this is (role, forced password change), every navigation.
    try {
      await session.refresh(ctl.signal);
    } catch (e) {
      if (ctl.signal.aborted) return;
      if (api.statusOf(e) === 401) return sessionEnded();
    }
    if (ctl.signal.aborted) return;
    if (session.current()?.must_change_pw && route.page !== "change_password") {
      const next = pathname + search;
      history.replaceState(null, "", `/change-password?next=${encodeURIComponent(next)}`);
      return render();
    }
  }
  // The live feed needs a usable session (not one that must change its password first).
  if (authed && !session.current()?.must_change_pw) live.ensure();
  showIdentity();
  try {
    const mod = await import(`./pages/${route.page}.js`);
    if (ctl.signal.aborted) return;
    mount(main);
    const title = typeof mod.title === "function" ? mod.title(route.params) : mod.title;
    document.title = `${title} · kanade`;
    await mod.render({
      main,
      params: route.params,
      query: new URLSearchParams(search),
      navigate,
      signal: ctl.signal,
    });
    if (ctl.signal.aborted) return;
    announcer.textContent = `${title} page`;
    if (!firstRender) {
      const h1 = /** @type {HTMLElement|null} */ (main.querySelector("h1"));
      (h1 ?? main).focus({ preventScroll: false });
    }
  } catch (e) {
    if (ctl.signal.aborted) return;
    mount(main, h("h1", { tabindex: "-1" }, "Something went wrong"), errorBox(e));
  } finally {
    firstRender = false;
  }
}

// Same-origin links route client-side (modifier clicks and new tabs keep the default).
document.addEventListener("click", (ev) => {
  if (ev.defaultPrevented || ev.button !== 0) return;
  if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = /** @type {HTMLElement} */ (ev.target).closest?.("a[href]");
  if (!(a instanceof HTMLAnchorElement) || a.target || a.hasAttribute("download")) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (url.hash && url.pathname === location.pathname) {
    // An in-page jump (the skip link): focus the target without a history entry, whose
    // popstate would render the page again.
    const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
    if (target) {
      ev.preventDefault();
      target.focus();
    }
    return;
  }
  ev.preventDefault();
  navigate(url.pathname + url.search);
});
addEventListener("popstate", () => void render());

// ---- auth -----------------------------------------------------------------------------

/** A 401: the token is gone (expired, revoked, account disabled): back to sign-in. */
function sessionEnded() {
  api.clearToken();
  session.clear();
  live.stop();
  if (location.pathname === "/login") return;
  toast("Your session ended (401). Please sign in again.", "fail");
  const next = location.pathname + location.search;
  navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
}
api.onUnauthorized(sessionEnded);

document.getElementById("signout")?.addEventListener("click", () => {
  api.clearToken();
  session.clear();
  live.stop();
  navigate("/login");
});

// Signing out (or a 401) in another tab signs this one out too.
addEventListener("storage", (ev) => {
  if (ev.key === api.TOKEN_KEY && !ev.newValue && location.pathname !== "/login") {
    live.stop();
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, {
      replace: true,
    });
  }
});

/**
 * "Who am I" in the top bar (a link to /account), a read-only banner for viewers, and
 * admin-only menu entries shown to admins only.
 */
function showIdentity() {
  const me = session.current();
  const info = api.tokenInfo(api.getToken());
  const who = /** @type {HTMLElement} */ (document.getElementById("identity"));
  const banner = /** @type {HTMLElement} */ (document.getElementById("readonly-banner"));
  const signedIn = Boolean(me) || info.kind !== "none";
  const label = me
    ? `${me.username} (${me.role})`
    : info.kind === "jwt"
    ? `${info.sub ?? "token"} (${info.roles.join(", ") || "no role"})`
    : info.kind === "static"
    ? "static token"
    : "";
  mount(
    who,
    label
      ? h("a", { href: "/account", "aria-label": `Signed in as ${label}: account` }, label)
      : "",
  );
  banner.hidden = !signedIn || session.hasRole("operator");
  for (const li of navList.querySelectorAll("li[data-min-role]")) {
    /** @type {HTMLElement} */ (li).hidden = !session.hasRole(
      /** @type {any} */ (li.getAttribute("data-min-role")),
    );
  }
  for (const section of navList.querySelectorAll("li.nav-section")) {
    /** @type {HTMLElement} */ (section).hidden = [...section.querySelectorAll("li")]
      .every((li) => /** @type {HTMLElement} */ (li).hidden);
  }
}

// ---- theme ----------------------------------------------------------------------------

const THEME_KEY = "kanade_theme";
const themeBtn = /** @type {HTMLButtonElement} */ (document.getElementById("theme-toggle"));
/** @param {string} t */
function applyTheme(t) {
  if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
  themeBtn.textContent = `Theme: ${t}`;
  themeBtn.setAttribute("aria-label", `Colour theme: ${t}. Activate to change.`);
}
themeBtn.addEventListener("click", () => {
  const order = ["system", "light", "dark"];
  const cur = localStorage.getItem(THEME_KEY) ?? "system";
  const next = order[(order.indexOf(cur) + 1) % order.length];
  if (next === "system") localStorage.removeItem(THEME_KEY);
  else localStorage.setItem(THEME_KEY, next);
  applyTheme(next);
});
applyTheme(localStorage.getItem(THEME_KEY) ?? "system");

// ---- mobile nav -------------------------------------------------------------------------

const navToggle = /** @type {HTMLButtonElement} */ (document.getElementById("nav-toggle"));
function closeMobileNav() {
  navToggle.setAttribute("aria-expanded", "false");
  document.body.classList.remove("nav-open");
}
navToggle.addEventListener("click", () => {
  const open = navToggle.getAttribute("aria-expanded") !== "true";
  navToggle.setAttribute("aria-expanded", String(open));
  document.body.classList.toggle("nav-open", open);
  if (open) /** @type {HTMLElement|null} */ (navList.querySelector("a"))?.focus();
});
// A click outside the menu, or Escape, closes an open section (focus returns to its button).
document.addEventListener("click", (ev) => {
  if (!navList.contains(/** @type {Node} */ (ev.target))) closeMenus();
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") {
    const was = closeMenus();
    if (was) {
      /** @type {HTMLElement} */ (was).focus();
      return;
    }
  }
  if (ev.key === "Escape" && document.body.classList.contains("nav-open")) {
    closeMobileNav();
    navToggle.focus();
  }
});

// ---- live indicator ---------------------------------------------------------------------

const liveState = /** @type {HTMLElement} */ (document.getElementById("live-state"));
const liveLabel = /** @type {HTMLElement} */ (document.getElementById("live-label"));
live.onState((s) => {
  liveState.dataset.state = s;
  liveLabel.textContent =
    { idle: "offline", connecting: "connecting", live: "live", polling: "polling" }[s] ?? s;
  liveState.title = s === "live"
    ? "Live updates via the event stream"
    : s === "polling"
    ? "Event stream unavailable: refreshing every 10 s"
    : "Not connected";
});

// ---- boot -------------------------------------------------------------------------------

buildNav();
api.version().then((v) => {
  /** @type {HTMLElement} */ (document.getElementById("version")).textContent = `kanade backend ${
    v?.version ?? ""
  }${v?.implementation ? ` · ${v.implementation}` : ""}`;
}).catch(() => {});
void render();
