// @ts-check
/// <reference lib="dom" />
/**
 * Pure logic of the Alerts page (unit-tested under Deno): the URL state, the texts of a
 * rule's events, scope and delivery counts, the rule form's values and the API bodies it
 * becomes (a stored secret kept unless replaced or removed).
 */
import { splitList } from "./dom.js";

/** The events a rule can fire on, as the form offers them. */
export const EVENTS = [
  { value: "check_fail", label: "Check enters fail" },
  { value: "check_warn", label: "Check enters warn" },
  { value: "check_unknown", label: "Check enters unknown" },
  { value: "check_ok", label: "Check recovers to ok" },
  { value: "agent_offline", label: "Agent goes offline" },
  { value: "agent_online", label: "Agent comes back online" },
];

/** Delivery states, in the order the counts are shown. */
export const STATUSES = ["failed", "pending", "delivered", "suppressed"];

/** @param {URLSearchParams} q */
export function alertsState(q) {
  const status = q.get("status") ?? "";
  return { rule: (q.get("rule") ?? "").trim(), status: STATUSES.includes(status) ? status : "" };
}

/** @param {{rule: string, status?: string}} st */
export function alertsUrl(st) {
  const q = new URLSearchParams();
  if (st.rule) q.set("rule", st.rule);
  if (st.rule && st.status) q.set("status", st.status);
  const s = q.toString();
  return s ? `/alerts?${s}` : "/alerts";
}

/** @param {{kind: string, groups?: string[], pcs?: string[]}} scope */
export function scopeText(scope) {
  if (scope?.kind === "groups") return `groups ${scope.groups?.join(", ")}`;
  if (scope?.kind === "pcs") {
    const n = scope.pcs?.length ?? 0;
    return n <= 3 ? `PCs ${scope.pcs?.join(", ")}` : `${n} PCs`;
  }
  return "all PCs";
}

/** @param {string[]} events */
export function eventsText(events) {
  return events.map((e) => e.replace(/^check_/, "check ").replace(/^agent_/, "agent ")).join(", ");
}

/** "2 failed · 5 delivered" (zeros left out), or "none yet". @param {Record<string, number>} c */
export function countsText(c) {
  const parts = STATUSES.filter((s) => (c?.[s] ?? 0) > 0).map((s) => `${c[s]} ${s}`);
  return parts.length ? parts.join(" · ") : "none yet";
}

/**
 * @typedef {{name: string, description: string, enabled: boolean, events: string[],
 *   checks: string, scopeKind: string, scopeList: string, url: string, secret: string,
 *   clearSecret: boolean, timeoutMs: string, maxAttempts: string, rateMax: string,
 *   ratePerSecs: string}} RuleForm
 */

/**
 * The form's values for a stored rule (or the defaults of a new one).
 * @param {any} [r]
 * @returns {RuleForm}
 */
export function formOf(r) {
  const list = r?.scope?.kind === "groups"
    ? r.scope.groups
    : r?.scope?.kind === "pcs"
    ? r.scope.pcs
    : [];
  return {
    name: r?.name ?? "",
    description: r?.description ?? "",
    enabled: r?.enabled ?? true,
    events: r?.events ?? ["check_fail"],
    checks: (r?.checks ?? []).join(", "),
    scopeKind: r?.scope?.kind ?? "all",
    scopeList: list.join(", "),
    url: r?.webhook?.url ?? "",
    secret: "",
    clearSecret: false,
    timeoutMs: String(r?.webhook?.timeout_ms ?? 5000),
    maxAttempts: String(r?.webhook?.max_attempts ?? 4),
    rateMax: String(r?.rate_limit?.max ?? 3),
    ratePerSecs: String(r?.rate_limit?.per_secs ?? 3600),
  };
}

/**
 * The API body of a form, or the first thing to fix (the backend checks everything again).
 * On an edit an empty secret keeps the stored one; `clearSecret` removes it.
 * @param {RuleForm} f @param {boolean} editing
 * @returns {{body: Record<string, unknown>} | {error: string}}
 */
export function ruleBody(f, editing) {
  const name = f.name.trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    return { error: "Name: 1-64 characters of A-Z a-z 0-9 _ -" };
  }
  if (!f.events.length) return { error: "Choose at least one event to fire on." };
  const list = splitList(f.scopeList);
  if (f.scopeKind !== "all" && !list.length) {
    return { error: `List at least one ${f.scopeKind === "groups" ? "group" : "PC"}.` };
  }
  if (!f.url.trim()) return { error: "Webhook URL is required." };
  /** @type {Record<string, unknown>} */
  const webhook = {
    url: f.url.trim(),
    timeout_ms: Number(f.timeoutMs),
    max_attempts: Number(f.maxAttempts),
  };
  if (f.secret) webhook.secret = f.secret;
  else if (editing && f.clearSecret) webhook.secret = null;
  else if (!editing) webhook.secret = null;
  const scope = f.scopeKind === "groups"
    ? { kind: "groups", groups: list }
    : f.scopeKind === "pcs"
    ? { kind: "pcs", pcs: list }
    : { kind: "all" };
  return {
    body: {
      name,
      description: f.description.trim(),
      enabled: f.enabled,
      events: f.events,
      checks: splitList(f.checks),
      scope,
      webhook,
      rate_limit: { max: Number(f.rateMax), per_secs: Number(f.ratePerSecs) },
    },
  };
}

/**
 * A stored rule as a PUT body with `enabled` changed (no secret: the stored one stays).
 * @param {any} r @param {boolean} enabled
 */
export function toggledBody(r, enabled) {
  const { has_secret: _s, ...webhook } = r.webhook;
  return {
    name: r.name,
    description: r.description,
    enabled,
    events: r.events,
    checks: r.checks,
    scope: r.scope,
    webhook,
    rate_limit: r.rate_limit,
  };
}
