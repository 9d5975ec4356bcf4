/**
 * Rollout progress from the `agents` table (last heartbeat's `agent_version`) against each
 * agent's effective `target_version`. The scope that decides an agent's target is the most
 * specific one setting it: pc, else the alphabetically last of its groups, else global.
 * `computeRolloutStatus` is pure; `rolloutStatus` gathers its inputs.
 */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { rowsOf } from "../../db/client.ts";
import type { ConfigScope } from "../../wire/config_scope.ts";
import { apiTs, epochMs, nowWire, WireTimestampSchema } from "../../wire/time.ts";
import type { Nats } from "../nats.ts";
import { listScopes } from "./config_store.ts";
import { allMemberships } from "./groups.ts";
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

export function computeRolloutStatus(input: {
  version: string | null;
  scopes: ScopeEntry[];
  memberships: Map<string, string[]>;
  agents: AgentRow[];
  nowMs: number;
  aliveWindowSecs: number;
}): RolloutStatus {
  const byKey = new Map(input.scopes.map((s) => [scopeKey(s.scope), s]));
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
  for (const a of [...input.agents].sort((x, y) => x.pc_id.localeCompare(y.pc_id))) {
    const decider = decidingScope(a.pc_id, input.memberships.get(a.pc_id) ?? [], byKey);
    if (!decider) {
      out.untargeted++;
      continue;
    }
    const target = decider.value.target_version!;
    if (!matches(target)) continue;
    const key = scopeKey(decider.scope);
    const onTarget = a.agent_version === target;
    let active = false;
    if (a.last_heartbeat) {
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
    out.agents.push({
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
  out.scopes = [...scopeRows.values()];
  return out;
}

export async function rolloutStatus(
  db: Db,
  nats: Nats,
  version: string | null,
  aliveWindowSecs: number,
): Promise<RolloutStatus> {
  const [stored, memberships, rs] = await Promise.all([
    listScopes(nats),
    allMemberships(nats),
    db.execute("SELECT pc_id, hostname, agent_version, last_heartbeat FROM agents"),
  ]);
  const scopes = stored.flatMap((
    s,
  ) => (s.scope && s.value ? [{ scope: s.scope, value: s.value }] : []));
  return computeRolloutStatus({
    version,
    scopes,
    memberships,
    agents: rowsOf<AgentRow>(rs),
    nowMs: Date.now(),
    aliveWindowSecs,
  });
}
