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
import { ChangeWatchers } from "./change_watchers.ts";
import type { Db } from "../../db/client.ts";
import { rowsOf } from "../../db/client.ts";
import { epochMs } from "../../wire/time.ts";
import { lowerBound } from "./sorted_ids.ts";

export interface PresenceEntry {
  pcId: string;
  /** Last heartbeat as stored (canonical DB form), or null. */
  hb: string | null;
  /** `hb` in epoch ms (-Infinity when null or unparsable: never alive). */
  hbMs: number;
  version: string | null;
  hostname: string | null;
  /** The row's fleet revision: the agents page's order (newest first). */
  rev: number;
}

type Row = [string, string | null, string | null, string | null, number];

/**
 * Merge `add` (any order, distinct keys) into `xs` (sorted by `key`, distinct): O(n + k log k),
 * no per-item splice.
 */
function mergeSorted<T, K>(xs: T[], add: T[], key: (t: T) => K): T[] {
  if (add.length === 0) return xs;
  add.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < xs.length || j < add.length) {
    const next = j >= add.length || (i < xs.length && key(xs[i]) <= key(add[j]))
      ? xs[i++]
      : add[j++];
    if (out.length === 0 || key(out[out.length - 1]) !== key(next)) out.push(next);
  }
  return out;
}

const self = <T>(x: T) => x;
const byPcId = (e: PresenceEntry) => e.pcId;

function removeSorted<T>(xs: T[], x: T) {
  const i = lowerBound(xs, x);
  if (xs[i] === x) xs.splice(i, 1);
}

/** Whole second (`YYYY-MM-DDTHH:MM:SS`) → epoch ms, for the canonical DB form's fast path. */
const secondMs = new Map<string, number>();
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

/**
 * Epoch ms of a stored timestamp (floored, -Infinity when null or unparsable). The DB holds
 * one canonical form, so the full RFC 3339 parser runs once per distinct second and the
 * millisecond comes from the fraction (a 100,000-agent load parses 100,000 stamps).
 */
export function hbMsOf(hb: string | null): number {
  if (hb === null) return -Infinity;
  try {
    if (!CANONICAL.test(hb)) return epochMs(hb);
    const sec = hb.slice(0, 19);
    let base = secondMs.get(sec);
    if (base === undefined) {
      base = epochMs(`${sec}Z`);
      if (secondMs.size >= 4096) secondMs.clear();
      secondMs.set(sec, base);
    }
    return base + Number(hb.slice(20, 23));
  } catch {
    return -Infinity;
  }
}

/** The in-memory state (pure: `apply` / `remove` and the queries; `PresenceFollower` feeds it). */
export class Presence extends ChangeWatchers {
  private byPc = new Map<string, PresenceEntry>();
  /** Whole second of the last heartbeat → agents whose last heartbeat is in it. */
  private buckets = new Map<number, Set<string>>();
  /** Sorted keys of `buckets`, plus keys added since the last merge. */
  private secs: number[] = [];
  private newSecs: number[] = [];
  /** Every entry in pc_id order (alive lists come out sorted without a sort per call). */
  private sorted: PresenceEntry[] = [];
  private newEntries: PresenceEntry[] = [];
  /** Versions share one string each (thousands of agents run the same few). */
  private interned = new Map<string, string>();
  /** Agents without a (valid) heartbeat: in no bucket, never alive. */
  private unbeaten = new Set<string>();

  get size(): number {
    return this.byPc.size;
  }

  get(pcId: string): PresenceEntry | undefined {
    return this.byPc.get(pcId);
  }

  /** Every entry in pc_id order. */
  *sortedEntries(): Generator<PresenceEntry> {
    this.settle();
    yield* this.sorted;
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
    if (e.hbMs === -Infinity) {
      this.unbeaten.delete(e.pcId);
      return;
    }
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
    if (e.hbMs === -Infinity) {
      this.unbeaten.add(e.pcId);
      return;
    }
    const sec = Math.floor(e.hbMs / 1000);
    let set = this.buckets.get(sec);
    if (!set) {
      this.buckets.set(sec, set = new Set());
      this.newSecs.push(sec);
    }
    set.add(e.pcId);
  }

  apply(
    pcId: string,
    hb: string | null,
    version: string | null,
    hostname: string | null,
    rev = 0,
  ) {
    let e = this.byPc.get(pcId);
    if (e) {
      // Updated in place: the sorted list holds the same object.
      this.unbucket(e);
      e.hb = hb;
      e.hbMs = hbMsOf(hb);
      e.version = this.intern(version);
      e.hostname = hostname === pcId ? e.pcId : hostname;
      e.rev = rev;
    } else {
      e = { pcId, hb, hbMs: hbMsOf(hb), version: this.intern(version), hostname, rev };
      if (hostname === pcId) e.hostname = pcId;
      this.byPc.set(pcId, e);
      this.newEntries.push(e);
    }
    this.bucket(e);
    this.changed(pcId);
  }

  remove(pcId: string) {
    const old = this.byPc.get(pcId);
    if (!old) return;
    this.unbucket(old);
    this.byPc.delete(pcId);
    this.settle();
    const i = lowerBound(this.sorted.map(byPcId), pcId);
    if (this.sorted[i]?.pcId === pcId) this.sorted.splice(i, 1);
    this.changed(pcId);
  }

  clear() {
    this.byPc.clear();
    this.buckets.clear();
    this.unbeaten.clear();
    this.secs = [];
    this.sorted = [];
    this.newSecs = [];
    this.newEntries = [];
    this.changed(null);
  }

  /** Merge the ids and seconds added since the last query into the sorted arrays. */
  private settle() {
    if (this.newEntries.length) {
      // An entry added and removed again before this merge is no longer in byPc.
      const add = this.newEntries.filter((e) => this.byPc.get(e.pcId) === e);
      this.sorted = mergeSorted(this.sorted, add, byPcId);
      this.newEntries = [];
    }
    if (this.newSecs.length) {
      // A second may have been added and emptied again before this merge.
      const add = this.newSecs.filter((x) => this.buckets.has(x));
      this.secs = mergeSorted(this.secs, add, self);
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

  /**
   * The seconds holding a last heartbeat at or after `cutoffMs`, ascending, each with its
   * agents (those of the first second may still be before `cutoffMs`: check them by ms).
   * O(seconds in the window), for counts kept per second elsewhere (the rollout view).
   */
  *secondsSince(cutoffMs: number): Generator<[number, ReadonlySet<string>]> {
    this.settle();
    const cutSec = Math.floor(cutoffMs / 1000);
    for (let i = lowerBound(this.secs, cutSec); i < this.secs.length; i++) {
      yield [this.secs[i], this.buckets.get(this.secs[i])!];
    }
  }

  /**
   * Agents whose last heartbeat is before `cutoffMs`, or that never beat: the offline ones.
   * O(offline + seconds before the cutoff), not O(fleet).
   */
  *silentBefore(cutoffMs: number): Generator<PresenceEntry> {
    this.settle();
    for (const pc of this.unbeaten) yield this.byPc.get(pc)!;
    const cutSec = Math.floor(cutoffMs / 1000);
    for (const sec of this.secs) {
      if (sec > cutSec) break;
      for (const pc of this.buckets.get(sec)!) {
        const e = this.byPc.get(pc)!;
        if (e.hbMs < cutoffMs) yield e;
      }
    }
  }

  /** Alive pc ids, sorted. */
  aliveSorted(cutoffMs: number): string[] {
    this.settle();
    const out: string[] = [];
    for (const e of this.sorted) if (e.hbMs >= cutoffMs) out.push(e.pcId);
    return out;
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
    for (const [pc, hb, version, hostname, rev] of rows) this.apply(pc, hb, version, hostname, rev);
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
        const [id, hb, v, host, r] = rows[i++];
        p.apply(id, hb, v, host, r);
      }
      p.remove(pc);
    }
    for (; i < rows.length; i++) {
      const [id, hb, v, host, r] = rows[i];
      p.apply(id, hb, v, host, r);
    }
    this.rev = Math.max(this.rev, hi);
  }
}
