// @ts-check
/// <reference lib="dom" />
/**
 * The client-side route table and its matcher (pure, unit-tested under Deno). Each
 * route names the page module under `pages/` that renders it.
 */

/**
 * What the router hands a page's `render(ctx)`: the emptied `<main>`, the route's path
 * parameters, the query string, navigation, and a signal that aborts when the user leaves.
 * @typedef {{main: HTMLElement, params: Record<string, string>, query: URLSearchParams,
 *   navigate: (to: string, opts?: {replace?: boolean}) => void, signal: AbortSignal}} PageContext
 */

/**
 * `nav` is the menu label; `group` the menu section it sits in (see NAV_GROUPS); `minRole`
 * hides the menu entry from lower roles (the backend refuses them anyway).
 * @type {{pattern: string, page: string, nav?: string, group?: string, public?: boolean,
 *   minRole?: string}[]}
 */
export const ROUTES = [
  { pattern: "/login", page: "login", public: true },
  { pattern: "/change-password", page: "change_password" },
  { pattern: "/account", page: "account" },
  { pattern: "/", page: "dashboard" },
  { pattern: "/dashboard", page: "dashboard", nav: "Dashboard" },
  { pattern: "/agents", page: "agents", nav: "Agents", group: "fleet" },
  { pattern: "/agents/:pc", page: "agent_detail" },
  { pattern: "/groups", page: "groups", nav: "Groups", group: "fleet" },
  { pattern: "/inventory", page: "inventory", nav: "Inventory", group: "fleet" },
  { pattern: "/inventory/search", page: "inventory_search" },
  { pattern: "/inventory/:manifestId", page: "inventory_job" },
  { pattern: "/inventory/:manifestId/:pc", page: "inventory_pc" },
  { pattern: "/compliance", page: "compliance", nav: "Compliance", group: "fleet" },
  { pattern: "/config", page: "config", nav: "Config", group: "fleet" },
  { pattern: "/rollout", page: "rollout", nav: "Rollout", group: "fleet" },
  { pattern: "/jobs", page: "jobs", nav: "Jobs", group: "operate" },
  { pattern: "/jobs/new", page: "job_edit" },
  { pattern: "/jobs/:id", page: "job_edit" },
  { pattern: "/exec", page: "exec", nav: "Exec", group: "operate" },
  { pattern: "/run", page: "run", nav: "Run script", group: "operate" },
  { pattern: "/schedules", page: "schedules", nav: "Schedules", group: "operate" },
  { pattern: "/schedules/new", page: "schedule_edit" },
  { pattern: "/schedules/:id", page: "schedule_edit" },
  { pattern: "/notifications", page: "notifications", nav: "Notifications", group: "operate" },
  { pattern: "/alerts", page: "alerts", nav: "Alerts", group: "operate" },
  { pattern: "/notifications/:id", page: "notification" },
  { pattern: "/packages", page: "packages", nav: "App packages", group: "operate" },
  { pattern: "/executions", page: "executions", nav: "Executions", group: "operate" },
  { pattern: "/executions/:execId", page: "execution" },
  { pattern: "/activity", page: "activity", nav: "Activity", group: "observe" },
  { pattern: "/activity/:resultId", page: "result" },
  { pattern: "/results", page: "activity" },
  { pattern: "/events", page: "events", nav: "Events", group: "observe" },
  { pattern: "/logs", page: "logs", nav: "Logs", group: "observe" },
  { pattern: "/audit", page: "audit", nav: "Audit", group: "observe" },
  { pattern: "/jetstream", page: "jetstream", nav: "JetStream", group: "observe" },
  { pattern: "/api-docs", page: "api_docs", nav: "API reference", group: "observe" },
  { pattern: "/accounts", page: "accounts", nav: "Accounts", group: "admin", minRole: "admin" },
];

/** Menu sections, in order; routes without a group are top-level links. */
export const NAV_GROUPS = [
  { id: "fleet", label: "Fleet" },
  { id: "operate", label: "Operate" },
  { id: "observe", label: "Observe" },
  { id: "admin", label: "Admin" },
];

/**
 * The menu as a tree: top-level links and sections with their links, in table order.
 * @returns {({kind: "link", pattern: string, label: string, minRole?: string} |
 *   {kind: "group", id: string, label: string,
 *    links: {pattern: string, label: string, minRole?: string}[]})[]}
 */
export function navTree() {
  /** @type {any[]} */
  const out = [];
  for (const r of ROUTES) {
    if (!r.nav) continue;
    if (!r.group) {
      out.push({ kind: "link", pattern: r.pattern, label: r.nav, minRole: r.minRole });
      continue;
    }
    let g = out.find((x) => x.kind === "group" && x.id === r.group);
    if (!g) {
      const def = NAV_GROUPS.find((x) => x.id === r.group);
      g = { kind: "group", id: r.group, label: def?.label ?? r.group, links: [] };
      out.push(g);
    }
    g.links.push({ pattern: r.pattern, label: r.nav, minRole: r.minRole });
  }
  return out;
}

/**
 * @param {string} pathname
 * @returns {{page: string, params: Record<string,string>, pattern: string, public: boolean}}
 */
export function matchRoute(pathname) {
  const parts = splitPath(pathname);
  // Literal segments beat parameters (/jobs/new before /jobs/:id): first pass literal only.
  for (const literalOnly of [true, false]) {
    for (const r of ROUTES) {
      const pp = splitPath(r.pattern);
      if (pp.length !== parts.length) continue;
      if (literalOnly && pp.some((s) => s.startsWith(":"))) continue;
      /** @type {Record<string,string>} */
      const params = {};
      let ok = true;
      for (let i = 0; i < pp.length; i++) {
        if (pp[i].startsWith(":")) {
          try {
            params[pp[i].slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            ok = false;
            break;
          }
        } else if (pp[i] !== parts[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return { page: r.page, params, pattern: r.pattern, public: Boolean(r.public) };
    }
  }
  return { page: "not_found", params: {}, pattern: "*", public: false };
}

/** @param {string} p */
function splitPath(p) {
  return p.split("/").filter((s) => s !== "");
}

/**
 * Path for a page with parameters, encoding each one.
 * @param {string} pattern
 * @param {Record<string, string | number>} [params]
 */
export function href(pattern, params = {}) {
  return pattern.replace(
    /:([A-Za-z]+)/g,
    (_, /** @type {string} */ k) => encodeURIComponent(params[k] ?? ""),
  );
}

/**
 * Which nav item is "current" for a path (detail pages highlight their list).
 * @param {string} pathname
 */
export function navFor(pathname) {
  const first = "/" + (splitPath(pathname)[0] ?? "dashboard");
  if (first === "/") return "/dashboard";
  if (first === "/results") return "/activity";
  return first;
}
