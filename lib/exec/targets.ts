/**
 * Which PCs a target means right now (#485): `all` = agents whose last heartbeat is inside
 * the alive window, `groups` = alive agents whose `agent_groups` entry holds any wanted
 * group, `pcs` = the listed names as-is. Used for `target_count` and the scheduler's
 * expected PCs.
 *
 * Answered from the process's fleet view (lib/fleet/fleet_view.ts), not by scanning the
 * agents table and walking `agent_groups` per call: an exec to a 50,000-PC group at a
 * 100,000-agent fleet costs a catch-up read plus a pass over that group's members in memory.
 */
import type { Deps } from "../deps.ts";
import { fleetView } from "../fleet/fleet_view.ts";
import type { Memberships } from "../fleet/memberships.ts";
import type { Presence } from "../fleet/presence.ts";

export interface TargetLike {
  all?: boolean | null;
  groups?: readonly string[] | null;
  pcs?: readonly string[] | null;
}

export interface ResolveOptions {
  aliveWindowSecs?: number;
  now?: number;
}

type TargetDeps = Pick<Deps, "db" | "nats" | "log" | "config">;

function cutoffOf(deps: TargetDeps, opts: ResolveOptions): number {
  const windowSecs = opts.aliveWindowSecs ?? deps.config.aliveWindowSecs;
  return (opts.now ?? Date.now()) - windowSecs * 1000;
}

/** PCs with a heartbeat at or after now − window, sorted. */
export async function aliveAgents(deps: TargetDeps, opts: ResolveOptions = {}): Promise<string[]> {
  return (await fleetView(deps).presence()).aliveSorted(cutoffOf(deps, opts));
}

/** Alive members of any of `wanted` (each PC once). */
function aliveMembers(
  presence: Presence,
  groups: Memberships,
  wanted: readonly string[],
  cutoffMs: number,
): Set<string> {
  const out = new Set<string>();
  for (const g of new Set(wanted)) {
    for (const pc of groups.members(g)) if (presence.isAlive(pc, cutoffMs)) out.add(pc);
  }
  return out;
}

export async function resolveAlivePcs(
  deps: TargetDeps,
  target: TargetLike,
  opts: ResolveOptions = {},
): Promise<string[]> {
  const out = new Set<string>(target.pcs ?? []);
  const groups = target.groups ?? [];
  if (target.all || groups.length > 0) {
    const view = fleetView(deps);
    const presence = await view.presence();
    const cutoff = cutoffOf(deps, opts);
    if (target.all) {
      if (out.size === 0) return presence.aliveSorted(cutoff);
      for (const pc of presence.aliveSorted(cutoff)) out.add(pc);
    } else {
      for (const pc of aliveMembers(presence, await view.memberships(), groups, cutoff)) {
        out.add(pc);
      }
    }
  }
  return [...out].sort();
}

/** `resolveAlivePcs(...).length` without building the sorted list. */
export async function countAlivePcs(
  deps: TargetDeps,
  target: TargetLike,
  opts: ResolveOptions = {},
): Promise<number> {
  const pcs = new Set(target.pcs ?? []);
  const groups = target.groups ?? [];
  if (!target.all && groups.length === 0) return pcs.size;
  const view = fleetView(deps);
  const presence = await view.presence();
  const cutoff = cutoffOf(deps, opts);
  if (target.all) {
    let n = presence.onlineCount(cutoff);
    for (const pc of pcs) if (!presence.isAlive(pc, cutoff)) n++;
    return n;
  }
  const alive = aliveMembers(presence, await view.memberships(), groups, cutoff);
  for (const pc of pcs) alive.add(pc);
  return alive.size;
}
