/**
 * Rollout progress from the agents' last heartbeats (`agent_version`) against each
 * agent's effective `target_version`. The scope that decides an agent's target is the most
 * specific one setting it: pc, else the alphabetically last of its groups, else global.
 * `computeRolloutStatus` is pure; `rolloutStatus` gathers its inputs.
 */
import { z } from "zod";
import type { ConfigScope } from "../../wire/config_scope.ts";
import { apiTs, epochMs, nowWire, WireTimestampSchema } from "../../wire/time.ts";
import type { Deps } from "../deps.ts";
import { decodeScopes, type StoredScope } from "./config_store.ts";
import type { ConfigEntries } from "./config_entries.ts";
import { fleetView } from "./fleet_view.ts";
import { type Scope, scopeKey, scopeLabel } from "./scopes.ts";

export interface AgentRow {
  pc_id: string;
  hostname: string | null;
  agent_version: string | null;
  last_heartbeat: string | null;
}

export interface ScopeEntry {
  scope: Scope;
  value: ConfigScope;
}

const count = z.number().int();

export const RolloutStatusSchema = z.strictObject({
  version: z.string().nullable(),
  observed_at: WireTimestampSchema,
  total: count,
  on_target: count,
  remaining: count,
  untargeted: count.meta({ description: "known agents no scope gives a target_version" }),
  scopes: z.array(z.strictObject({
    scope_key: z.string(),
    scope_label: z.string(),
    target_version: z.string(),
    jitter: z.string().nullable(),
    total: count,
    on_target: count,
    remaining: count,
    active: count,
  })),
  agents: z.array(z.strictObject({
    pc_id: z.string(),
    hostname: z.string().nullable(),
    agent_version: z.string().nullable(),
    target_version: z.string(),
    scope_key: z.string(),
    on_target: z.boolean(),
    active: z.boolean(),
    last_heartbeat: WireTimestampSchema.nullable(),
  })),
});
export type RolloutStatus = z.infer<typeof RolloutStatusSchema>;

/** Pure: the scope deciding `pcId`'s target_version, or null. */
export function decidingScope(
  pcId: string,
  groups: readonly string[],
  byKey: Map<string, ScopeEntry>,
): ScopeEntry | null {
  const pc = byKey.get(scopeKey({ type: "pc", value: pcId }));
  if (pc?.value.target_version) return pc;
  let fromGroup: ScopeEntry | null = null;
  for (const g of [...groups].sort()) {
    const e = byKey.get(scopeKey({ type: "group", value: g }));
    if (e?.value.target_version) fromGroup = e;
  }
  if (fromGroup) return fromGroup;
  const global = byKey.get(scopeKey({ type: "global" }));
  return global?.value.target_version ? global : null;
}

/** Agents listed by default in `agents` (the counts always cover every agent). */
export const ROLLOUT_AGENTS_DEFAULT = 1000;
export const ROLLOUT_AGENTS_MAX = 10_000;

const NO_GROUPS: readonly string[] = Object.freeze([]);

export function computeRolloutStatus(input: {
  version: string | null;
  scopes: ScopeEntry[];
  memberships: ReadonlyMap<string, readonly string[]>;
  /** In any order; already in pc_id order saves a sort. */
  agents: Iterable<AgentRow & { hb_ms?: number }>;
  nowMs: number;
  aliveWindowSecs: number;
  /** At most this many `agents` listed, those not on target first (default: all). */
  agentsLimit?: number;
}): RolloutStatus {
  const byKey = new Map(input.scopes.map((s) => [scopeKey(s.scope), s]));
  const limit = input.agentsLimit ?? Infinity;
  const out: RolloutStatus = {
    version: input.version,
    observed_at: nowWire(),
    total: 0,
    on_target: 0,
    remaining: 0,
    untargeted: 0,
    scopes: [],
    agents: [],
  };
  const scopeRows = new Map<string, RolloutStatus["scopes"][number]>();
  const matches = (v: string | null | undefined) =>
    !!v && (input.version === null || v === input.version);
  // Scopes that target the version are listed even while no agent follows them yet.
  for (
    const s of [...input.scopes].sort((a, b) => scopeKey(a.scope).localeCompare(scopeKey(b.scope)))
  ) {
    if (!matches(s.value.target_version)) continue;
    scopeRows.set(scopeKey(s.scope), {
      scope_key: scopeKey(s.scope),
      scope_label: scopeLabel(s.scope),
      target_version: s.value.target_version!,
      jitter: s.value.target_version_jitter ?? null,
      total: 0,
      on_target: 0,
      remaining: 0,
      active: 0,
    });
  }
  let agents = Array.isArray(input.agents) ? input.agents : [...input.agents];
  if (agents.some((a, i) => i > 0 && agents[i - 1].pc_id > a.pc_id)) {
    agents = [...agents].sort((x, y) => x.pc_id.localeCompare(y.pc_id));
  }
  // Without a pc scope the decider depends only on the group list; identical lists are
  // one shared array in the membership view, so most agents hit this memo.
  const byGroups = new Map<readonly string[], ScopeEntry | null>();
  const pcScoped = new Set(
    input.scopes.filter((s) => s.scope.type === "pc" && s.value.target_version).map((s) =>
      scopeKey(s.scope)
    ),
  );
  const behind: RolloutStatus["agents"] = [];
  const onTargetRows: RolloutStatus["agents"] = [];
  for (const a of agents) {
    const groups = input.memberships.get(a.pc_id) ?? NO_GROUPS;
    let decider: ScopeEntry | null | undefined;
    if (pcScoped.size && pcScoped.has(scopeKey({ type: "pc", value: a.pc_id }))) {
      decider = decidingScope(a.pc_id, groups, byKey);
    } else {
      decider = byGroups.get(groups);
      if (decider === undefined) {
        byGroups.set(groups, decider = decidingScope(a.pc_id, groups, byKey));
      }
    }
    if (!decider) {
      out.untargeted++;
      continue;
    }
    const target = decider.value.target_version!;
    if (!matches(target)) continue;
    const key = scopeKey(decider.scope);
    const onTarget = a.agent_version === target;
    let active = false;
    if (a.hb_ms !== undefined) active = input.nowMs - a.hb_ms <= input.aliveWindowSecs * 1000;
    else if (a.last_heartbeat) {
      try {
        active = input.nowMs - epochMs(a.last_heartbeat) <= input.aliveWindowSecs * 1000;
      } catch { /* unparsable → inactive */ }
    }
    const row = scopeRows.get(key)!;
    row.total++;
    if (onTarget) row.on_target++;
    else row.remaining++;
    if (active) row.active++;
    out.total++;
    if (onTarget) out.on_target++;
    else out.remaining++;
    const list = onTarget ? onTargetRows : behind;
    if (list.length < limit) {
      list.push({
        pc_id: a.pc_id,
        hostname: a.hostname,
        agent_version: a.agent_version,
        target_version: target,
        scope_key: key,
        on_target: onTarget,
        active,
        last_heartbeat: apiTs(a.last_heartbeat),
      });
    }
  }
  out.agents = limit === Infinity
    ? [...behind, ...onTargetRows].sort((x, y) => x.pc_id.localeCompare(y.pc_id))
    : [...behind, ...onTargetRows].slice(0, limit);
  out.scopes = [...scopeRows.values()];
  return out;
}

/**
 * Rollout status from the process's fleet view: the incrementally kept rollout view
 * (lib/fleet/rollout_view.ts) over the in-memory presence and memberships, so a request no
 * longer passes over the fleet. `agents` lists at most `agentsLimit` agents, those not on
 * target first.
 */
export async function rolloutStatus(
  deps: Pick<Deps, "db" | "nats" | "log">,
  version: string | null,
  aliveWindowSecs: number,
  agentsLimit = ROLLOUT_AGENTS_DEFAULT,
): Promise<RolloutStatus> {
  const view = fleetView(deps);
  const [config] = await Promise.all([view.config(), view.memberships(), view.presence()]);
  return view.rollout().status({
    version,
    scopes: decodedScopes(config),
    nowMs: Date.now(),
    aliveWindowSecs,
    agentsLimit,
  });
}

/** The last decode of the watched scopes, reused until the bucket changes. */
const decoded = new WeakMap<ConfigEntries, { changes: number; scopes: ScopeEntry[] }>();

function decodedScopes(config: ConfigEntries): ScopeEntry[] {
  const hit = decoded.get(config);
  if (hit && hit.changes === config.changes) return hit.scopes;
  const scopes = scopesOf(decodeScopes(config.values()));
  decoded.set(config, { changes: config.changes, scopes });
  return scopes;
}

/** The stored scopes that decode (legacy and unreadable entries set no target). */
export function scopesOf(stored: StoredScope[]): ScopeEntry[] {
  return stored.flatMap((s) => (s.scope && s.value ? [{ scope: s.scope, value: s.value }] : []));
}
