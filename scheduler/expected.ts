/**
 * Expected PCs of a dedup tick: the same rules as the exec pipeline's `resolveAlivePcs`
 * (lib/exec/targets.ts; `all` = alive agents, `groups` = alive members of any wanted group
 * in either `agent_groups` value shape, `pcs` = as listed, union sorted), with the alive
 * list read as one JSON array: on a 10k fleet, 10k client-side rows cost ~80 ms a tick.
 */
import type { Deps } from "../lib/deps.ts";
import { aliveGroupMembers, type TargetLike } from "../lib/exec/targets.ts";
import { alivePcs } from "./completions.ts";

export async function expectedPcs(
  deps: Deps,
  target: TargetLike,
  opts: { aliveWindowSecs: number; now: number },
): Promise<string[]> {
  const out = new Set<string>(target.pcs ?? []);
  const groups = target.groups ?? [];
  if (target.all || groups.length > 0) {
    const alive = await alivePcs(deps.db, opts.now - opts.aliveWindowSecs * 1000);
    if (target.all) { for (const pc of alive) out.add(pc); }
    else for (const pc of await aliveGroupMembers(deps, groups, alive)) out.add(pc);
  }
  return [...out].sort();
}
