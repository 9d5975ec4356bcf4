// @ts-check
/// <reference lib="dom" />
/**
 * The one API client of the dashboard. It is the only module that builds URLs: every
 * page calls a named function here. Conventions (clients.md §2.2): bearer token from
 * localStorage `kanade_token`, `X-Kanade-Source: spa`, JSON bodies typed as JSON, YAML
 * editor saves typed `application/yaml`, error bodies `{"error","status"}` parsed into
 * an `ApiError`, and a 401 anywhere clears the token and sends the user to /login.
 * Longer than most modules on purpose: one short typed function per endpoint, all in the
 * one place that knows the URLs.
 */
import { messageData, SseParser } from "./sse.js";

export const TOKEN_KEY = "kanade_token";

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {unknown} body */
  constructor(status, message, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/**
 * Whether a caught error is the abort of a navigation or a cancelled request.
 * @param {unknown} e
 */
export function isAbort(e) {
  return /** @type {{name?: unknown} | null | undefined} */ (e)?.name === "AbortError";
}

/**
 * The HTTP status a failed call carries (ApiError), else undefined.
 * @param {unknown} e
 * @returns {number | undefined}
 */
export function statusOf(e) {
  return /** @type {{status?: number} | null | undefined} */ (e)?.status;
}

// ---- token -------------------------------------------------------------------------

export function getToken() {
  try {
    return globalThis.localStorage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}

/** @param {string} token */
export function setToken(token) {
  globalThis.localStorage?.setItem(TOKEN_KEY, token.trim());
}

export function clearToken() {
  globalThis.localStorage?.removeItem(TOKEN_KEY);
}

/**
 * What the UI may assume about a token, read from a JWT's payload without verifying it
 * (the backend verifies; this only decides hints such as a read-only banner). A static
 * token is opaque: `{kind: "static"}`, treated as admin by the backend.
 * @param {string|null} token
 * @returns {{kind: "none"} | {kind: "static"} | {kind: "jwt", sub: string|null,
 *   roles: string[], exp: number|null}}
 */
export function tokenInfo(token) {
  if (!token) return { kind: "none" };
  const parts = token.split(".");
  if (parts.length !== 3) return { kind: "static" };
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))),
    );
    return {
      kind: "jwt",
      sub: typeof json.sub === "string" ? json.sub : null,
      roles: Array.isArray(json.roles)
        ? json.roles.filter((/** @type {unknown} */ r) => typeof r === "string")
        : [],
      exp: typeof json.exp === "number" ? json.exp : null,
    };
  } catch {
    return { kind: "static" };
  }
}

/**
 * Whether the token's claims allow fleet-changing actions (static tokens do).
 * @param {ReturnType<typeof tokenInfo>} info
 */
export function canOperate(info) {
  return info.kind !== "jwt" || info.roles.some((r) => r === "operator" || r === "admin");
}

/** @type {(err: ApiError) => void} */
let unauthorizedHandler = () => {};
/**
 * The app installs the "go to /login" reaction; the client only reports.
 * @param {(err: ApiError) => void} fn
 */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

// ---- URL building (pure, unit-tested) ------------------------------------------------

/**
 * Template tag that percent-encodes every interpolated path segment.
 * @param {TemplateStringsArray} strings
 * @param {...(string|number)} values
 */
export function path(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    out += encodeURIComponent(String(v)) + strings[i + 1];
  });
  return out;
}

/**
 * `path` plus a query string; null, undefined, "" and false are left out; an array value
 * repeats its key (filters that AND together).
 * @param {string} p
 * @param {Record<string, unknown>} [query]
 */
export function buildUrl(p, query) {
  const qs = new URLSearchParams();
  for (const [k, raw] of Object.entries(query ?? {})) {
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (v === undefined || v === null || v === "" || v === false) continue;
      qs.append(k, String(v));
    }
  }
  const s = qs.toString();
  return s ? `${p}?${s}` : p;
}

/**
 * Escape a literal for the regex filters of /api/results (exact match of one PC etc.).
 * @param {string} s
 */
export function exactRegex(s) {
  return `^${String(s).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
}

/**
 * Message of an error body: `{"error"}` JSON, else the text, else the status text.
 * @param {number} status
 * @param {string} statusText
 * @param {string} text
 */
export function errorMessage(status, statusText, text) {
  if (text) {
    try {
      const j = JSON.parse(text);
      if (j && typeof j.error === "string") return j.error;
    } catch { /* plain text */ }
    if (!/^\s*</.test(text)) return text.trim().slice(0, 500);
  }
  return `${status} ${statusText || "request failed"}`.trim();
}

// ---- transport ---------------------------------------------------------------------

/**
 * @typedef {object} CallOptions
 * @property {Record<string, unknown>} [query]
 * @property {unknown} [json] JSON body
 * @property {string} [yaml] YAML body (editor saves)
 * @property {FormData} [form] multipart body (uploads; the browser sets the boundary)
 * @property {"json"|"text"} [as] response decoding (default json)
 * @property {number[]} [acceptStatus] non-2xx statuses whose body is still data (e.g. 503 health)
 * @property {boolean} [noAuthRedirect] report 401 to the caller only (login check)
 * @property {AbortSignal} [signal]
 */

/** @param {HeadersInit} [extra] */
function headersFor(extra) {
  const h = new Headers(extra);
  const token = getToken();
  if (token) h.set("Authorization", `Bearer ${token}`);
  h.set("X-Kanade-Source", "spa");
  return h;
}

/**
 * @param {string} method
 * @param {string} p
 * @param {CallOptions} [opts]
 * @returns {Promise<{status: number, headers: Headers, data: any}>}
 */
async function call(method, p, opts = {}) {
  const headers = headersFor();
  /** @type {BodyInit | undefined} */
  let body;
  if (opts.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(opts.json);
  } else if (opts.yaml !== undefined) {
    headers.set("Content-Type", "application/yaml");
    body = opts.yaml;
  } else if (opts.form !== undefined) {
    body = opts.form;
  }
  const res = await fetch(buildUrl(p, opts.query), {
    method,
    headers,
    body,
    signal: opts.signal,
  });
  const text = await res.text();
  const ok = res.ok || (opts.acceptStatus ?? []).includes(res.status);
  if (!ok) {
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch { /* text body */ }
    const err = new ApiError(res.status, errorMessage(res.status, res.statusText, text), parsed);
    if (res.status === 401 && !opts.noAuthRedirect) {
      clearToken();
      unauthorizedHandler(err);
    }
    throw err;
  }
  let data;
  if ((opts.as ?? "json") === "text") data = text;
  else if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, `unexpected non-JSON response from ${p}`, text);
    }
  }
  return { status: res.status, headers: res.headers, data };
}

/** @param {string} p @param {CallOptions} [opts] */
const get = (p, opts) => call("GET", p, opts).then((r) => r.data);
/** @param {string} p @param {CallOptions} [opts] */
const post = (p, opts) => call("POST", p, opts).then((r) => r.data);
/** @param {string} p @param {CallOptions} [opts] */
const put = (p, opts) => call("PUT", p, opts).then((r) => r.data);
/** @param {string} p @param {CallOptions} [opts] */
const del = (p, opts) => call("DELETE", p, opts).then((r) => r.data);

/** @param {Headers} h @param {string} name */
function countHeader(h, name) {
  const v = h.get(name);
  return v === null || v === "" || Number.isNaN(Number(v)) ? null : Number(v);
}

// ---- endpoints -----------------------------------------------------------------------

/**
 * Checks a token without the global 401 reaction (the login page reports it).
 * @param {AbortSignal} [signal]
 */
export async function checkToken(signal) {
  await call("GET", "/api/jetstream/status", { noAuthRedirect: true, signal });
}

/** @param {AbortSignal} [signal] */
export const version = (signal) => get("/api/version", { signal });

// accounts and sign-in (the 401s of these calls belong to the page, not the global sign-out)
/** @param {{username: string, password: string, code?: string}} body */
export const login = (body) => post("/api/auth/login", { json: body, noAuthRedirect: true });
/** @param {AbortSignal} [signal] */
export const me = (signal) => get("/api/auth/me", { signal, noAuthRedirect: true });
/**
 * Changes the caller's password; returns the fresh session token the backend hands back.
 * @param {string} oldPassword
 * @param {string} newPassword
 */
export async function changePassword(oldPassword, newPassword) {
  const r = await call("POST", "/api/auth/change-password", {
    json: { old_password: oldPassword, new_password: newPassword },
    noAuthRedirect: true,
  });
  return r.headers.get("X-Kanade-Token");
}
export const mfaInit = () => post("/api/auth/mfa/init");
/** @param {{secret: string, code: string, current_code?: string}} body */
export const mfaVerify = (body) => post("/api/auth/mfa/verify", { json: body });
/** @param {string} code */
export const mfaDisable = (code) => post("/api/auth/mfa/disable", { json: { code } });
/** @param {AbortSignal} [signal] */
export const accounts = (signal) => get("/api/accounts", { signal });
/** @param {{username: string, password: string, role: string}} body */
export const createAccount = (body) => post("/api/accounts", { json: body });
/**
 * @param {string} username
 * @param {{role?: string, password?: string, disabled?: boolean, mfa?: false}} patch
 */
export const updateAccount = (username, patch) =>
  call("PATCH", path`/api/accounts/${username}`, { json: patch }).then((r) => r.data);
/** @param {string} username */
export const deleteAccount = (username) => del(path`/api/accounts/${username}`);

/**
 * `/api/health/fleet`: the 503 (degraded) answer carries the same JSON, so it is data.
 * @param {AbortSignal} [signal]
 */
export async function fleetHealth(signal) {
  const r = await call("GET", "/api/health/fleet", { acceptStatus: [503], signal });
  if (!r.data || typeof r.data !== "object") {
    throw new ApiError(r.status, "health endpoint answered without a JSON body", r.data);
  }
  return { ...r.data, http_status: r.status };
}

/** @param {AbortSignal} [signal] */
export const jetstreamStatus = (signal) => get("/api/jetstream/status", { signal });
/**
 * The OpenAPI 3.1 document of the API (generated from the route definitions).
 * @param {AbortSignal} [signal]
 */
export const openApi = (signal) => get("/api/openapi.json", { signal });

// agents
/**
 * @param {{q?: string, status?: string, version?: string, limit?: number, offset?: number}} q
 * @param {AbortSignal} [signal]
 */
export async function agents(q = {}, signal) {
  const r = await call("GET", "/api/agents", { query: q, signal });
  const rows = Array.isArray(r.data) ? r.data : [];
  return {
    rows,
    total: countHeader(r.headers, "X-Total-Count") ?? rows.length,
    online: countHeader(r.headers, "X-Online-Count"),
    offline: countHeader(r.headers, "X-Offline-Count"),
  };
}
/** @param {string} pc @param {AbortSignal} [signal] */
export const agent = (pc, signal) => get(path`/api/agents/${pc}`, { signal });
/** @param {AbortSignal} [signal] */
export const agentVersions = (signal) => get("/api/agents/versions", { signal });
/** @param {string} pc @param {AbortSignal} [signal] */
export const agentGroups = (pc, signal) => get(path`/api/agents/${pc}/groups`, { signal });
/** @param {string} pc @param {string[]} groups */
export const setAgentGroups = (pc, groups) =>
  put(path`/api/agents/${pc}/groups`, { json: { groups } });
/** @param {string} pc */
export const pingAgent = (pc, waitSecs = 30) =>
  post(path`/api/agents/${pc}/ping`, { query: { wait_secs: waitSecs } });
/** @param {string} pc @param {AbortSignal} [signal] */
export const agentLogs = (pc, tail = 200, signal) =>
  get(path`/api/agents/${pc}/logs`, { query: { tail }, as: "text", signal });
/** @param {string} pc @param {string} group */
export const addAgentGroup = (pc, group) =>
  post(path`/api/agents/${pc}/groups`, { json: { group } });
/** @param {string} pc @param {string} group */
export const removeAgentGroup = (pc, group) => del(path`/api/agents/${pc}/groups/${group}`);
/** @param {string} pc @param {AbortSignal} [signal] */
export const effectiveConfig = (pc, signal) =>
  get(path`/api/agents/${pc}/effective_config`, { signal });
/** @param {string} pc @param {AbortSignal} [signal] */
export const inventory = (pc, signal) => get(path`/api/inventory/${pc}`, { signal });
/** @param {AbortSignal} [signal] */
export const groups = (signal) => get("/api/groups", { signal });

// perf (host samples bucketed server-side; `from`/`to` RFC 3339, `step` humantime)
/**
 * @param {string} pc
 * @param {{from?: string, to?: string, step?: string}} [q]
 * @param {AbortSignal} [signal]
 */
export const agentPerf = (pc, q = {}, signal) =>
  get(path`/api/agents/${pc}/perf`, { query: q, signal });
/** @param {string} pc @param {AbortSignal} [signal] */
export const agentProcesses = (pc, signal) => get(path`/api/agents/${pc}/processes`, { signal });
/**
 * @param {string} pc
 * @param {{metric?: string, step?: string, top?: number, from?: string, to?: string}} [q]
 * @param {AbortSignal} [signal]
 */
export const processTimeline = (pc, q = {}, signal) =>
  get(path`/api/agents/${pc}/processes/timeline`, { query: q, signal });

/**
 * @param {{metric?: string, agg?: string, from?: string, to?: string, step?: string}} [q]
 * @param {AbortSignal} [signal]
 */
export const perfFleet = (q = {}, signal) => get("/api/perf/fleet", { query: q, signal });
/**
 * @param {{metric?: string, window?: string, limit?: number}} [q]
 * @param {AbortSignal} [signal]
 */
export const perfTop = (q = {}, signal) => get("/api/perf/top", { query: q, signal });
/** @param {AbortSignal} [signal] */
export const activeInvestigations = (signal) => get("/api/perf/active-investigations", { signal });

// ad-hoc run: answers the ExecResult once the agent replied (408 on timeout)
/** @param {{pc_id: string, shell?: string, script: string, timeout_secs?: number,
 *   run_as?: string, job_id?: string}} body
 * @param {AbortSignal} [signal]
 */
export const run = (body, signal) => post("/api/run", { json: body, signal });

// observability events
/**
 * @param {{pc_id?: string, kinds?: string, kinds_ex?: string, sources?: string,
 *   sources_ex?: string, payload_key?: string, payload_value?: string, from?: string,
 *   to?: string, limit?: number}} q
 * @param {AbortSignal} [signal]
 */
export const obsEvents = (q, signal) => get("/api/obs_events", { query: q, signal });
/** @param {AbortSignal} [signal] */
export const obsKinds = (signal) => get("/api/obs_events/kinds", { signal });
/** @param {AbortSignal} [signal] */
export const obsSources = (signal) => get("/api/obs_events/sources", { signal });
/** @param {number} limit @param {AbortSignal} [signal] */
export const obsRecent = (limit, signal) =>
  get("/api/obs_events/recent", { query: { limit }, signal });

// layered agent config: scope = {type: "global"} | {type: "group"|"pc", value}
/** @param {{type: string, value?: string}} scope */
export function scopeConfigPath(scope) {
  if (scope.type === "group") return path`/api/groups/${scope.value ?? ""}/config`;
  if (scope.type === "pc") return path`/api/pcs/${scope.value ?? ""}/config`;
  return "/api/config";
}
/**
 * @param {{type: string, value?: string}} scope
 * @param {AbortSignal} [signal]
 */
export const scopeConfig = (scope, signal) => get(scopeConfigPath(scope), { signal });
/**
 * PUT is a full replace: fields left out inherit from the layer below.
 * @param {{type: string, value?: string}} scope
 * @param {Record<string, unknown>} body
 */
export const putScopeConfig = (scope, body) => put(scopeConfigPath(scope), { json: body });
/** @param {{type: string, value?: string}} scope */
export const deleteScopeConfig = (scope) => del(scopeConfigPath(scope));
/** The built-in effective config every scope layers on. @param {AbortSignal} [signal] */
export const configDefaults = (signal) => get("/api/config/defaults", { signal });
/**
 * What a group or PC scope inherits from the layers below it (never its own scope).
 * @param {{type: string, value?: string}} scope @param {AbortSignal} [signal]
 */
export const inheritedConfig = (scope, signal) =>
  get(`${scopeConfigPath(scope)}/inherited`, { signal });

// compliance checks
/**
 * @param {{check?: string, pc_id?: string, include_ok?: boolean, include_stale?: boolean,
 *   limit?: number}} q @param {AbortSignal} [signal]
 */
export const checks = (q, signal) => get("/api/checks", { query: q, signal });
/**
 * Check status changes, newest first.
 * @param {{pc_id?: string, check?: string, limit?: number}} q @param {AbortSignal} [signal]
 */
export const checkTransitions = (q, signal) => get("/api/checks/transitions", { query: q, signal });
/**
 * Forget a check's stored status, of every PC or of one: `{deleted}`.
 * @param {string} name @param {string} [pcId]
 */
export const clearCheck = (name, pcId) =>
  del(path`/api/checks/${name}`, { query: { pc_id: pcId } });

// operator alerts
/** Alert rules with their delivery counts: `{rules}`. @param {AbortSignal} [signal] */
export const alertRules = (signal) => get("/api/alerts", { signal });
/** @param {string} name @param {AbortSignal} [signal] */
export const alertRule = (name, signal) => get(path`/api/alerts/${name}`, { signal });
/** @param {Record<string, unknown>} body */
export const createAlertRule = (body) => post("/api/alerts", { json: body });
/** The whole rule again (`webhook.secret` absent keeps the stored one). @param {string} name @param {Record<string, unknown>} body */
export const updateAlertRule = (name, body) => put(path`/api/alerts/${name}`, { json: body });
/** @param {string} name */
export const deleteAlertRule = (name) => del(path`/api/alerts/${name}`);
/**
 * A rule's deliveries, newest first: `{deliveries}`.
 * @param {string} name @param {{status?: string, limit?: number, before?: number}} [q]
 * @param {AbortSignal} [signal]
 */
export const alertDeliveries = (name, q = {}, signal) =>
  get(path`/api/alerts/${name}/deliveries`, { query: q, signal });

// end-user notifications
/**
 * @param {{limit?: number, offset?: number, q?: string}} [q]
 * @param {AbortSignal} [signal]
 */
export async function notifications(q = {}, signal) {
  const r = await call("GET", "/api/notifications", { query: q, signal });
  const rows = Array.isArray(r.data) ? r.data : [];
  return { rows, total: countHeader(r.headers, "X-Total-Count") ?? rows.length };
}
/** @param {string} id @param {AbortSignal} [signal] */
export const notification = (id, signal) => get(path`/api/notifications/${id}`, { signal });
/** @param {Record<string, unknown>} body upstream's publish body */
export const sendNotification = (body) => post("/api/notifications", { json: body });
/** @param {string} id */
export const recallNotification = (id) => post(path`/api/notifications/${id}/recall`);

// app packages
/** @param {AbortSignal} [signal] */
export const appPackages = (signal) => get("/api/app-packages", { signal });
/** @param {string} name @param {string} version */
export const deleteAppPackage = (name, version) => del(path`/api/app-packages/${name}/${version}`);

/**
 * Uploads a package with XMLHttpRequest, the one browser API that reports upload
 * progress: `onProgress(sent, total)` as the bytes leave. Same headers and error
 * handling as every other call.
 * @param {string} name @param {string} version @param {File} file
 * @param {(sent: number, total: number) => void} [onProgress]
 * @param {AbortSignal} [signal]
 */
export function uploadAppPackage(name, version, file, onProgress, signal) {
  const form = new FormData();
  form.append("file", file, file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path`/api/app-packages/${name}/${version}`);
    headersFor().forEach((v, k) => xhr.setRequestHeader(k, v));
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      const text = xhr.responseText;
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new ApiError(xhr.status, "unexpected non-JSON response from upload", text));
        }
        return;
      }
      let parsed = text;
      try {
        parsed = JSON.parse(text);
      } catch { /* text body */ }
      const err = new ApiError(xhr.status, errorMessage(xhr.status, xhr.statusText, text), parsed);
      if (xhr.status === 401) {
        clearToken();
        unauthorizedHandler(err);
      }
      reject(err);
    };
    xhr.onerror = () => reject(new ApiError(0, "upload failed: the connection was lost", null));
    xhr.onabort = () => reject(new DOMException("upload cancelled", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/**
 * Downloads a package with the bearer token and hands it to the browser as a file
 * (`<name>-<version>`); the body is held in memory until saved.
 * @param {string} name
 * @param {string} version
 */
export async function downloadAppPackage(name, version) {
  const res = await fetch(path`/api/app-packages/${name}/${version}`, { headers: headersFor() });
  if (!res.ok) {
    const text = await res.text();
    throw new ApiError(res.status, errorMessage(res.status, res.statusText, text), text);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = `${name}-${version}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** @param {AbortSignal} [signal] */
export const releases = (signal) => get("/api/agents/releases", { signal });
/** @param {Blob} file @param {{version?: string, platform?: string, filename?: string}} [meta] */
export function publishRelease(file, meta = {}) {
  const form = new FormData();
  form.append("file", file, meta.filename ?? /** @type {any} */ (file).name ?? "agent");
  if (meta.version) form.append("version", meta.version);
  if (meta.platform) form.append("platform", meta.platform);
  return post("/api/agents/publish", { form });
}
/** @param {string} version */
export const deleteRelease = (version) => del(path`/api/agents/releases/${version}`);
/** @param {{version: string, scope: {type: string, value?: string}, jitter?: string}} body */
export const rollout = (body) => post("/api/agents/rollout", { json: body });
/** @param {AbortSignal} [signal] */
export const rolloutStatus = (version = "", signal) =>
  get("/api/agents/rollout/status", { query: { version }, signal });

// inventory
/** @param {AbortSignal} [signal] */
export const inventoryJobs = (signal) => get("/api/inventory/jobs", { signal });
/**
 * @param {string} manifestId
 * @param {{limit?: number, offset?: number}} [q]
 * @param {AbortSignal} [signal]
 */
export const inventoryByJob = (manifestId, q = {}, signal) =>
  get(path`/api/inventory/by-job/${manifestId}`, { query: q, signal });

/**
 * Rows of one explode table (`field` = the spec's `field`); `filters` maps
 * `<column>` or `<column>__<op>` to a value (or several, ANDed). "More" = a full page.
 * @param {string} manifestId
 * @param {string} field
 * @param {Record<string, unknown>} filters
 * @param {AbortSignal} [signal]
 */
export const inventorySearch = (manifestId, field, filters = {}, signal) =>
  get(path`/api/inventory/${manifestId}/search/${field}`, { query: filters, signal });
/**
 * @param {string} manifestId
 * @param {string} pc
 * @param {{field?: string, since?: string, limit?: number}} [q]
 * @param {AbortSignal} [signal]
 */
export const inventoryHistoryPc = (manifestId, pc, q = {}, signal) =>
  get(path`/api/inventory/${manifestId}/history/pc/${pc}`, { query: q, signal });
/**
 * @param {string} manifestId
 * @param {Record<string, unknown>} q field, kind, since, until, identity.<k>, limit, offset
 * @param {AbortSignal} [signal]
 */
export const inventoryHistorySearch = (manifestId, q = {}, signal) =>
  get(path`/api/inventory/${manifestId}/history/search`, { query: q, signal });
/**
 * @param {string} manifestId
 * @param {Record<string, unknown>} q field, since, identity.<k>, limit, offset
 * @param {AbortSignal} [signal]
 */
export const inventoryFirstSeen = (manifestId, q = {}, signal) =>
  get(path`/api/inventory/${manifestId}/history/first_seen`, { query: q, signal });

// jobs
/** @param {AbortSignal} [signal] */
export const jobs = (signal) => get("/api/jobs", { signal });
/** @param {string} id @param {AbortSignal} [signal] */
export const jobYaml = (id, signal) => get(path`/api/jobs/${id}/yaml`, { as: "text", signal });
/** @param {string} yaml */
export const saveJobYaml = (yaml) => post("/api/jobs", { yaml });
/** @param {string} id */
export const deleteJob = (id) => del(path`/api/jobs/${id}`);
/** @param {string} id */
export const killJob = (id) => post(path`/api/jobs/${id}/kill`);
/** @param {AbortSignal} [signal] */
export const scriptStatus = (signal) => get("/api/scripts/status", { signal });
/** @param {string} id */
export const revokeScript = (id) => post(path`/api/scripts/${id}/revoke`);
/** @param {string} id */
export const unrevokeScript = (id) => post(path`/api/scripts/${id}/unrevoke`);

// exec + executions
/** @param {string} jobId @param {object} plan FanoutPlan */
export const exec = (jobId, plan) => post(path`/api/exec/${jobId}`, { json: plan });
/** @param {AbortSignal} [signal] */
export const executions = (q = {}, signal) => get("/api/executions", { query: q, signal });
/** @param {string} id @param {AbortSignal} [signal] */
export const execution = (id, signal) => get(path`/api/executions/${id}`, { signal });
/** @param {string} id */
export const killExecution = (id) => post(path`/api/executions/${id}/kill`);

// results
/** @param {AbortSignal} [signal] */
export const results = (q = {}, signal) => get("/api/results", { query: q, signal });
/** @param {string} id @param {AbortSignal} [signal] */
export const result = (id, signal) => get(path`/api/results/${id}`, { signal });
/** @param {string} id @param {AbortSignal} [signal] */
export const resultTail = (id, signal) => get(path`/api/results/${id}/tail`, { signal });

// schedules
/** @param {AbortSignal} [signal] */
export const schedules = (signal) => get("/api/schedules", { signal });
/** @param {AbortSignal} [signal] */
export const upcomingSchedules = (limit = 6, signal) =>
  get("/api/schedules/upcoming", { query: { limit }, signal });
/** @param {string} id @param {AbortSignal} [signal] */
export const scheduleYaml = (id, signal) =>
  get(path`/api/schedules/${id}/yaml`, { as: "text", signal });
/** @param {string} yaml */
export const saveScheduleYaml = (yaml) => post("/api/schedules", { yaml });
/** @param {string} id */
export const deleteSchedule = (id) => del(path`/api/schedules/${id}`);
/** @param {string} id */
export const enableSchedule = (id) => post(path`/api/schedules/${id}/enable`);
/** @param {string} id */
export const disableSchedule = (id, cascade = false) =>
  post(path`/api/schedules/${id}/disable`, { query: { cascade: cascade ? "true" : "false" } });

// audit
/** @param {AbortSignal} [signal] */
export const audit = (q = {}, signal) => get("/api/audit", { query: q, signal });

// ---- live stream -------------------------------------------------------------------

/**
 * Opens `GET /api/events/stream` with fetch() (headers!) and calls `onMessage` for each
 * SSE message. Resolves when the stream ends; rejects on a non-2xx answer or a network
 * error. A 401 takes the same route as every other call.
 * @param {(msg: {event: string, data: unknown, id: string|null}) => void} onMessage
 * @param {{signal?: AbortSignal, lastEventId?: string|null, onOpen?: () => void}} [opts]
 */
export async function streamEvents(onMessage, opts = {}) {
  const headers = headersFor({ Accept: "text/event-stream" });
  if (opts.lastEventId) headers.set("Last-Event-ID", opts.lastEventId);
  const res = await fetch("/api/events/stream", { headers, signal: opts.signal });
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => "");
    const err = new ApiError(res.status, errorMessage(res.status, res.statusText, text), text);
    if (res.status === 401) {
      clearToken();
      unauthorizedHandler(err);
    }
    throw err;
  }
  opts.onOpen?.();
  const parser = new SseParser();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const msg of parser.push(value)) {
        onMessage({ event: msg.event, data: messageData(msg), id: msg.id });
      }
    }
  } finally {
    reader.releaseLock();
  }
  return parser.lastId;
}
