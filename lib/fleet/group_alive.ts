/**
 * Alive members per group, kept incrementally: how an exec to a group gets its
 * `target_count` without a pass over the group's members.
 *
 * Why: counting a 50,000-PC group member by member against the presence view took 14–24 ms
 * of one core per exec at a 100,000-agent fleet (two hash lookups per member, most of them
 * cache misses), the largest step of `POST /api/exec` to a group after the broker's own
 * fan-out. Here each group keeps how many of its members beat last in each whole second, so
 * a count sums the seconds inside the alive window (about `alive_window` of them) and checks
 * only the boundary second's agents by the millisecond, the rule of `Presence.onlineCount`.
 *
 * Updates ride the change callbacks of the presence and membership views: O(groups of the
 * PC) per heartbeat or membership change, done by the 1 s agents poll and the KV watch, not
 * by the request. A change of everything (a presence reload, a membership re-sync) marks
 * the counts stale; the next query rebuilds them in one pass.
 *
 * Memory: one small record per PC with a membership and a heartbeat, one count per
 * (group, second); nothing per request, no timer.
 */
import type { Memberships } from "./memberships.ts";
import type { Presence } from "./presence.ts";

interface Counted {
  sec: number;
  groups: readonly string[];
}

export class GroupAlive {
  /** False: rebuild on the next query (never built, or everything changed). */
  private built = false;
  private counted = new Map<string, Counted>();
  /** Group → whole second of last heartbeat → members that beat last in it. */
  private bySec = new Map<string, Map<number, number>>();
  private readonly unwatch: (() => void)[];

  constructor(private readonly presence: Presence, private readonly memberships: Memberships) {
    const onChange = (pcId: string | null) => {
      if (!this.built) return; // the rebuild reads everything anyway
      if (pcId === null) this.built = false;
      else this.recount(pcId);
    };
    this.unwatch = [presence.watch(onChange), memberships.watch(onChange)];
  }

  stop() {
    for (const u of this.unwatch) u();
    this.built = false;
    this.counted.clear();
    this.bySec.clear();
  }

  /** Builds the counts now if they are stale, instead of on the next query. */
  warm() {
    if (!this.built) this.rebuild();
  }

  /**
   * Members of `group` whose last heartbeat is at or after `cutoffMs`. The presence and
   * membership views must be caught up by the caller.
   */
  count(group: string, cutoffMs: number): number {
    this.warm();
    const secs = this.bySec.get(group);
    if (!secs) return 0;
    const cutSec = Math.floor(cutoffMs / 1000);
    let n = 0;
    for (const [sec, pcs] of this.presence.secondsSince(cutoffMs)) {
      if (sec > cutSec) {
        n += secs.get(sec) ?? 0;
        continue;
      }
      // The boundary second: only its agents at or after the cutoff's millisecond.
      if (!secs.has(sec)) continue;
      for (const pc of pcs) {
        if (this.presence.isAlive(pc, cutoffMs) && this.memberships.groupsOf(pc).includes(group)) {
          n++;
        }
      }
    }
    return n;
  }

  private rebuild() {
    this.counted.clear();
    this.bySec.clear();
    for (const [pc] of this.memberships.all()) this.add(pc);
    this.built = true;
  }

  private recount(pc: string) {
    const old = this.counted.get(pc);
    if (old) {
      this.counted.delete(pc);
      for (const g of old.groups) {
        const secs = this.bySec.get(g)!;
        const k = secs.get(old.sec)! - 1;
        if (k > 0) secs.set(old.sec, k);
        else {
          secs.delete(old.sec);
          if (secs.size === 0) this.bySec.delete(g);
        }
      }
    }
    this.add(pc);
  }

  private add(pc: string) {
    const groups = this.memberships.groupsOf(pc);
    const hbMs = this.presence.get(pc)?.hbMs ?? -Infinity;
    if (groups.length === 0 || hbMs === -Infinity) return;
    const sec = Math.floor(hbMs / 1000);
    this.counted.set(pc, { sec, groups });
    for (const g of groups) {
      let secs = this.bySec.get(g);
      if (!secs) this.bySec.set(g, secs = new Map());
      secs.set(sec, (secs.get(sec) ?? 0) + 1);
    }
  }
}
