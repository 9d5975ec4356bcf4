/**
 * The alert engine's decisions, pure (no I/O, no clock): which event a check transition
 * is, which rules it matches, the per-PC rate limit, which PCs went offline or came back
 * since the last look, the idempotency key and body of a delivery, and which failures of a
 * webhook are worth another attempt. lib/alerts/engine.ts feeds them; policy_test.ts
 * holds them with tables.
 */
import type { AlertEvent, AlertScope, StoredRule } from "./model.ts";
import { wireTs } from "../../wire/time.ts";

/** A `check_transitions` row as the engine reads it. */
export interface TransitionRow {
  id: number;
  pc_id: string;
  check_name: string;
  label: string | null;
  from_status: string | null;
  to_status: string;
  detail: string | null;
  recorded_at: string;
}

/**
 * The event of a check transition: entering fail, warn or unknown (the first projection of
 * a (PC, check) counts as entering), or `check_ok`, back to ok from one of them (a first
 * report of ok recovers nothing: no rule heard of a problem).
 */
export function checkEvent(t: Pick<TransitionRow, "from_status" | "to_status">): AlertEvent | null {
  if (t.from_status === t.to_status) return null;
  switch (t.to_status) {
    case "ok":
      return t.from_status === null ? null : "check_ok";
    case "fail":
      return "check_fail";
    case "warn":
      return "check_warn";
    case "unknown":
      return "check_unknown";
    default:
      return null;
  }
}

export type GroupsOf = (pcId: string) => readonly string[];

export function inScope(scope: AlertScope, pcId: string, groupsOf: GroupsOf): boolean {
  switch (scope.kind) {
    case "all":
      return true;
    case "pcs":
      return scope.pcs.includes(pcId);
    case "groups": {
      const mine = groupsOf(pcId);
      return scope.groups.some((g) => mine.includes(g));
    }
  }
}

/** Whether `rule` fires for this event of this PC (and check, for check events). */
export function ruleMatches(
  rule: Pick<StoredRule, "enabled" | "events" | "checks" | "scope">,
  event: AlertEvent,
  pcId: string,
  checkName: string | null,
  groupsOf: GroupsOf,
): boolean {
  if (!rule.enabled || !rule.events.includes(event)) return false;
  if (checkName !== null && rule.checks.length && !rule.checks.includes(checkName)) return false;
  return inScope(rule.scope, pcId, groupsOf);
}

/**
 * The per-(rule, PC) rate limit: `recent` deliveries (not suppressed) of this rule for this
 * PC inside the window, including those decided earlier in the same pass.
 */
export function rateAllows(recent: number, limit: StoredRule["rate_limit"]): boolean {
  return recent < limit.max;
}

/**
 * The idempotency key of an event: the same transition always gives the same key, on any
 * process, after any restart (the `UNIQUE (rule_name, event_key)` of the deliveries).
 * - a check transition is unique by (PC, check, result publish time);
 * - going offline by (PC, the last heartbeat before the silence);
 * - coming back by (PC, that same heartbeat): one comeback per silence.
 */
export function eventKey(
  e:
    | { kind: "check"; pcId: string; checkName: string; recordedAt: string }
    | { kind: "offline" | "online"; pcId: string; lastHeartbeat: string | null },
): string {
  if (e.kind === "check") return `check:${e.pcId}:${e.checkName}:${e.recordedAt}`;
  return `${e.kind}:${e.pcId}:${e.lastHeartbeat ?? "never"}`;
}

/** One PC as the presence pass sees it. */
export interface PresenceFacts {
  pcId: string;
  /** Last heartbeat as stored (null: never beat). */
  hb: string | null;
  hbMs: number;
}

export interface PresencePlan {
  /** PCs silent past the alive window that were not offline before; `fire` false = record only. */
  offline: { pcId: string; hb: string | null; fire: boolean }[];
  /** PCs recorded offline that beat again (`offlineHb`: the heartbeat they went silent after). */
  online: { pcId: string; offlineHb: string | null }[];
  /** PCs recorded offline that no longer exist (forgotten): dropped without an event. */
  forgotten: string[];
}

/**
 * Compare the fleet with the PCs recorded offline. A PC is online while its last heartbeat
 * is at or after `cutoffMs` (now minus the alive window). A PC silent since before
 * `quietBeforeMs` is recorded without firing: it went offline long before this engine
 * looked (first run, a long leader gap), which is history, not news.
 *
 * `silent` holds the PCs silent before `cutoffMs` (and those that never beat), `current`
 * looks one PC up: a pass is O(silent + recorded offline), not O(fleet), because it runs
 * every 2 s and at 100,000 agents a walk of the fleet (with a set of every id) was ~45 ms.
 */
export function planPresence(
  silent: Iterable<PresenceFacts>,
  current: (pcId: string) => PresenceFacts | undefined,
  offline: ReadonlyMap<string, string | null>,
  cutoffMs: number,
  quietBeforeMs: number,
): PresencePlan {
  const plan: PresencePlan = { offline: [], online: [], forgotten: [] };
  for (const p of silent) {
    if (p.hbMs >= cutoffMs || offline.has(p.pcId)) continue;
    plan.offline.push({ pcId: p.pcId, hb: p.hb, fire: p.hbMs >= quietBeforeMs });
  }
  for (const [pc, hb] of offline) {
    const p = current(pc);
    if (!p) plan.forgotten.push(pc);
    else if (p.hbMs >= cutoffMs) plan.online.push({ pcId: pc, offlineHb: hb });
  }
  return plan;
}

/**
 * Whether this pass must not record PCs as offline yet:
 * - warming up: this process started leading less than one alive window ago, so a PC that
 *   beat during the gap before it may not have been seen yet (after a restart of the whole
 *   backend every PC looks silent until its next heartbeat);
 * - the whole fleet went silent at once (no PC alive, several going offline in one pass):
 *   far more likely the heartbeats stopped being projected than every PC stopping in the
 *   same seconds. Held, not dropped: the next pass looks again.
 */
export function holdOffline(
  p: { warmingUp: boolean; aliveCount: number; goingOffline: number },
): "warm-up" | "fleet silent" | null {
  if (p.warmingUp) return "warm-up";
  if (p.aliveCount === 0 && p.goingOffline > 1) return "fleet silent";
  return null;
}

/** HTTP statuses a later attempt may turn into a success (everything else 4xx is final). */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** The pause before attempt n+1 (n = 1, 2, …): doubling from `firstMs`, capped at `maxMs`. */
export function backoffSchedule(attempts: number, firstMs: number, maxMs: number): number[] {
  const out: number[] = [];
  for (let i = 1, p = firstMs; i < attempts; i++, p = Math.min(p * 2, maxMs)) out.push(p);
  return out;
}

/** The JSON body of a delivery (the same bytes on every attempt). */
export interface AlertPayload {
  /** The idempotency key (also the `Idempotency-Key` header): receivers drop repeats. */
  id: string;
  rule: string;
  event: AlertEvent;
  pc_id: string;
  hostname: string | null;
  /**
   * When the transition happened (API timestamp form): the result's publish time; for an
   * offline the last heartbeat before the silence, for a comeback the first one after it.
   */
  occurred_at: string | null;
  check: {
    name: string;
    label: string | null;
    status: string;
    from_status: string | null;
    detail: string | null;
  } | null;
}

export function checkPayload(
  rule: string,
  t: TransitionRow,
  event: AlertEvent,
  hostname: string | null,
): AlertPayload {
  return {
    id: `${rule}:${
      eventKey({
        kind: "check",
        pcId: t.pc_id,
        checkName: t.check_name,
        recordedAt: t.recorded_at,
      })
    }`,
    rule,
    event,
    pc_id: t.pc_id,
    hostname,
    occurred_at: wireTs(t.recorded_at),
    check: {
      name: t.check_name,
      label: t.label,
      status: t.to_status,
      from_status: t.from_status,
      detail: t.detail,
    },
  };
}

export function presencePayload(
  rule: string,
  event: "agent_offline" | "agent_online",
  pcId: string,
  keyHb: string | null,
  occurredAt: string | null,
  hostname: string | null,
): AlertPayload {
  const kind = event === "agent_offline" ? "offline" : "online";
  return {
    id: `${rule}:${eventKey({ kind, pcId, lastHeartbeat: keyHb })}`,
    rule,
    event,
    pc_id: pcId,
    hostname,
    occurred_at: occurredAt === null ? null : wireTs(occurredAt),
    check: null,
  };
}
