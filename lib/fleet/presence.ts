/**
 * Who is alive, followed incrementally from the `agents` table and answered from memory.
 *
 * Why a followed in-memory view: counting online agents, listing the alive ones (exec
 * `target_count`, the scheduler's expected PCs), versions and rollout progress were a scan
 * of `agents` per request, which at 100,000 agents is tens of milliseconds each and grows
 * with the fleet. Every write to `agents` carries a fleet-wide revision (`rev`, see the
 * fleet_views migration; deletions land in `agents_removed`), so a follower reads only the
 * rows changed since the revision it saw: O(heartbeats since the last poll), never O(fleet).
 *
 * Online counts are per-second buckets of last heartbeats: a count sums the buckets inside
 * the alive window (about `alive_window` of them) and checks only the boundary second's
 * agents one by one, so it is exact to the millisecond like the SQL `last_heartbeat >= ?`.
 *
 * Memory: one small entry per known agent (about 200 bytes; 20 MB per 100,000 agents), the
 * bucket sets and a sorted id list. Nothing per request, no timer per agent.
 */
import type { Db } from "../../db/client.ts";
import { rowsOf } from "../../db/client.ts";
import { epochMs } from "../../wire/time.ts";

export interface PresenceEntry {
  pcId: string;
  /** Last heartbeat as stored (canonical DB form), or null. */
  hb: string | null;
  /** `hb` in epoch ms (-Infinity when null or unparsable: never alive). */
  hbMs: number;
  version: string | null;
  hostname: string | null;
}

type Row = [string, string | null, string | null, string | null, number];

/** Index of the first element >= x in an ascending array. */
function lowerBound<T>(xs: readonly T[], x: T): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Merge sorted, duplicate-free `add` into sorted `xs` (O(n + k), no per-item splice). */
function mergeSorted<T>(xs: T[], add: T[]): T[] {
  if (add.length === 0) return xs;
  add.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < xs.length || j < add.length) {
    const next = j >= add.length || (i < xs.length && xs[i] <= add[j]) ? xs[i++] : add[j++];
    if (out.length === 0 || out[out.length - 1] !== next) out.push(next);
  }
  return out;
}

function removeSorted<T>(xs: T[], x: T) {
  const i = lowerBound(xs, x);
  if (xs[i] === x) xs.splice(i, 1);
}

const toMs = (hb: string | null): number => {
  if (hb === null) return -Infinity;
  try {
    return epochMs(hb);
  } catch {
    return -Infinity;
  }
};

/** The in-memory state (pure: `apply` / `remove` and the queries; `PresenceFollower` feeds it). */
export class Presence {
  private byPc = new Map<string, PresenceEntry>();
  /** Whole second of the last heartbeat → agents whose last heartbeat is in it. */
  private buckets = new Map<number, Set<string>>();
  /** Sorted keys of `buckets`, plus keys added since the last merge. */
  private secs: number[] = [];
  private newSecs: number[] = [];
  /** Every known pc id, sorted (alive lists come out sorted without a sort per call). */
  private pcs: string[] = [];
  private newPcs: string[] = [];
  /** Versions share one string each (thousands of agents run the same few). */
  private interned = new Map<string, string>();
  /** Bumped by every change (derived caches compare it). */
  changes = 0;

  get size(): number {
    return this.byPc.size;
  }

  get(pcId: string): PresenceEntry | undefined {
    return this.byPc.get(pcId);
  }

  entries(): IterableIterator<PresenceEntry> {
    return this.byPc.values();
  }

  /** Every entry in pc_id order. */
  *sortedEntries(): Generator<PresenceEntry> {
    this.settle();
    for (const pc of this.pcs) yield this.byPc.get(pc)!;
  }

  private intern(s: string | null): string | null {
    if (s === null) return null;
    let v = this.interned.get(s);
    if (v === undefined) {
      if (this.interned.size > 10_000) this.interned.clear(); // bounded: versions are few
      this.interned.set(s, s);
      v = s;
    }
    return v;
  }

  private unbucket(e: PresenceEntry) {
    if (e.hbMs === -Infinity) return;
    const sec = Math.floor(e.hbMs / 1000);
    const set = this.buckets.get(sec);
    if (!set) return;
    set.delete(e.pcId);
    if (set.size === 0) {
      this.buckets.delete(sec);
      this.settle();
      removeSorted(this.secs, sec);
    }
  }

  private bucket(e: PresenceEntry) {
    if (e.hbMs === -Infinity) return;
    const sec = Math.floor(e.hbMs / 1000);
    let set = this.buckets.get(sec);
    if (!set) {
      this.buckets.set(sec, set = new Set());
      this.newSecs.push(sec);
    }
    set.add(e.pcId);
  }

  apply(pcId: string, hb: string | null, version: string | null, hostname: string | null) {
    const old = this.byPc.get(pcId);
    if (old) this.unbucket(old);
    else this.newPcs.push(pcId);
    const e: PresenceEntry = {
      pcId: old?.pcId ?? pcId,
      hb,
      hbMs: toMs(hb),
      version: this.intern(version),
      hostname: hostname === pcId ? (old?.pcId ?? pcId) : hostname,
    };
    this.byPc.set(e.pcId, e);
    this.bucket(e);
    this.changes++;
  }

  remove(pcId: string) {
    const old = this.byPc.get(pcId);
    if (!old) return;
    this.unbucket(old);
    this.byPc.delete(pcId);
    this.settle();
    removeSorted(this.pcs, pcId);
    this.changes++;
  }

  clear() {
    this.byPc.clear();
    this.buckets.clear();
    this.secs = [];
    this.pcs = [];
    this.newSecs = [];
    this.newPcs = [];
    this.changes++;
  }

  /** Merge the ids and seconds added since the last query into the sorted arrays. */
  private settle() {
    if (this.newPcs.length) {
      this.pcs = mergeSorted(this.pcs, this.newPcs);
      this.newPcs = [];
    }
    if (this.newSecs.length) {
      // A second may have been added and emptied again before this merge.
      this.secs = mergeSorted(this.secs, this.newSecs.filter((x) => this.buckets.has(x)));
      this.newSecs = [];
    }
  }

  isAlive(pcId: string, cutoffMs: number): boolean {
    const e = this.byPc.get(pcId);
    return !!e && e.hbMs >= cutoffMs;
  }

  /** Agents whose last heartbeat is at or after `cutoffMs` (O(buckets in the window)). */
  onlineCount(cutoffMs: number): number {
    this.settle();
    const cutSec = Math.floor(cutoffMs / 1000);
    let n = 0;
    for (let i = lowerBound(this.secs, cutSec); i < this.secs.length; i++) {
      const sec = this.secs[i];
      const set = this.buckets.get(sec)!;
      if (sec > cutSec) n += set.size;
      else for (const pc of set) if (this.byPc.get(pc)!.hbMs >= cutoffMs) n++;
    }
    return n;
  }

  /** Alive pc ids, sorted. */
  aliveSorted(cutoffMs: number): string[] {
    this.settle();
    return this.pcs.filter((pc) => this.byPc.get(pc)!.hbMs >= cutoffMs);
  }

  /** Per version (null → `unknown`): known and alive agents, most agents first. */
  versions(cutoffMs: number): { version: string; total: number; active: number }[] {
    const by = new Map<string, { version: string; total: number; active: number }>();
    for (const e of this.byPc.values()) {
      const v = e.version ?? "unknown";
      let r = by.get(v);
      if (!r) by.set(v, r = { version: v, total: 0, active: 0 });
      r.total++;
      if (e.hbMs >= cutoffMs) r.active++;
    }
    return [...by.values()].sort((a, b) =>
      b.total - a.total || (a.version < b.version ? 1 : a.version > b.version ? -1 : 0)
    );
  }

  /** Apply rows `[pc_id, last_heartbeat, agent_version, hostname, rev]` in rev order. */
  applyRows(rows: Row[]) {
    for (const [pc, hb, version, hostname] of rows) this.apply(pc, hb, version, hostname);
  }
}

/**
 * Feeds a `Presence` from the database: one full load, then the rows whose revision grew
 * (and the deletions) since the last poll, read in one snapshot.
 */
export class PresenceFollower {
  readonly presence = new Presence();
  private rev = -1;
  private inflight: Promise<void> | null = null;

  constructor(private readonly db: Db) {}

  /** Bring the view up to the latest committed revision (concurrent callers share one read). */
  sync(): Promise<void> {
    this.inflight ??= this.poll().finally(() => this.inflight = null);
    return this.inflight;
  }

  private async poll(): Promise<void> {
    const full = this.rev < 0;
    // One JSON string per query instead of one driver row object per agent (the driver's
    // per-row cost dominates a 100,000-row load).
    const [now, changed, removed] = await this.db.batch([
      "SELECT rev FROM agents_rev_now",
      {
        sql:
          `SELECT json_group_array(json_array(pc_id, last_heartbeat, agent_version, hostname, rev))
                AS j FROM (SELECT * FROM agents WHERE rev > ? ORDER BY rev)`,
        args: [full ? -1 : this.rev],
      },
      {
        sql: `SELECT json_group_array(json_array(pc_id, rev)) AS j
                FROM (SELECT * FROM agents_removed WHERE rev > ? ORDER BY rev)`,
        args: [full ? Number.MAX_SAFE_INTEGER : this.rev],
      },
    ], "read");
    const hi = Number(rowsOf<{ rev: number }>(now)[0]?.rev ?? 0);
    const rows = JSON.parse(rowsOf<{ j: string }>(changed)[0]?.j ?? "[]") as Row[];
    const gone = JSON.parse(rowsOf<{ j: string }>(removed)[0]?.j ?? "[]") as [string, number][];
    const p = this.presence;
    if (full) p.clear();
    // Deletions and upserts in revision order (a PC forgotten, then beating again).
    let i = 0;
    for (const [pc, rev] of gone) {
      while (i < rows.length && rows[i][4] < rev) {
        const [id, hb, v, host] = rows[i++];
        p.apply(id, hb, v, host);
      }
      p.remove(pc);
    }
    for (; i < rows.length; i++) {
      const [id, hb, v, host] = rows[i];
      p.apply(id, hb, v, host);
    }
    this.rev = Math.max(this.rev, hi);
  }
}
