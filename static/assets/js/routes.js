/**
 * The client-side route table and its matcher (pure, unit-tested under Deno). Each
 * route names the page module under `pages/` that renders it.
 */

/** @type {{pattern: string, page: string, nav?: string, public?: boolean}[]} */
export const ROUTES = [
  { pattern: "/login", page: "login", public: true },
  { pattern: "/", page: "dashboard" },
  { pattern: "/dashboard", page: "dashboard", nav: "Dashboard" },
  { pattern: "/agents", page: "agents", nav: "Agents" },
  { pattern: "/agents/:pc", page: "agent_detail" },
  { pattern: "/jobs", page: "jobs", nav: "Jobs" },
  { pattern: "/jobs/new", page: "job_edit" },
  { pattern: "/jobs/:id", page: "job_edit" },
  { pattern: "/exec", page: "exec", nav: "Exec" },
  { pattern: "/executions", page: "executions", nav: "Executions" },
  { pattern: "/executions/:execId", page: "execution" },
  { pattern: "/activity", page: "activity", nav: "Activity" },
  { pattern: "/activity/:resultId", page: "result" },
  { pattern: "/results", page: "activity" },
  { pattern: "/schedules", page: "schedules", nav: "Schedules" },
  { pattern: "/schedules/new", page: "schedule_edit" },
  { pattern: "/schedules/:id", page: "schedule_edit" },
  { pattern: "/audit", page: "audit", nav: "Audit" },
];

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

/** Path for a page with parameters, encoding each one. */
export function href(pattern, params = {}) {
  return pattern.replace(/:([A-Za-z]+)/g, (_, k) => encodeURIComponent(params[k] ?? ""));
}

/** Which nav item is "current" for a path (detail pages highlight their list). */
export function navFor(pathname) {
  const first = "/" + (splitPath(pathname)[0] ?? "dashboard");
  if (first === "/") return "/dashboard";
  if (first === "/results") return "/activity";
  return first;
}
