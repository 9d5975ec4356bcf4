/**
 * Group memberships (KV `agent_groups`) as a watched in-memory map: pc → groups and
 * group → members. Why: resolving a group target (exec `target_count`, the scheduler's
 * expected PCs), listing groups and rollout progress each walked the whole bucket, one KV
 * read per PC (about a second at 100,000 PCs). The map is fed by `followBucket`, so a read
 * costs a stream-info round trip to catch up plus in-memory work.
 *
 * Memory: one entry per PC with a membership (the group arrays of identical memberships are
 * shared) and one set per group; nothing per request.
 */
import { ChangeWatchers } from "./change_watchers.ts";
import type { KvEntry } from "../kv.ts";
import { decodeAgentGroups } from "../../wire/agent_groups.ts";
import { parseJsonBytes } from "../../wire/codec.ts";

export class Memberships extends ChangeWatchers {
  private groupsByPc = new Map<string, readonly string[]>();
  private membersByGroup = new Map<string, Set<string>>();
  /** Shared arrays for identical memberships (most fleets have a few distinct ones). */
  private shapes = new Map<string, readonly string[]>();

  /** One KV entry: a PUT sets the PC's groups (undecodable: none), DEL/PURGE removes them. */
  apply(e: KvEntry) {
    let groups: readonly string[] = [];
    if (e.operation === "PUT") {
      try {
        groups = decodeAgentGroups(parseJsonBytes(e.value));
      } catch { /* an undecodable entry means no known membership */ }
    }
    this.set(e.key, groups);
  }

  /** A PC's groups; a group listed twice counts once (views count members per group). */
  set(pcId: string, listed: readonly string[]) {
    const groups = listed.length > 1 ? [...new Set(listed)] : listed;
    const old = this.groupsByPc.get(pcId);
    if (old) {
      for (const g of old) {
        const s = this.membersByGroup.get(g);
        s?.delete(pcId);
        if (s?.size === 0) this.membersByGroup.delete(g);
      }
    }
    if (groups.length === 0) {
      this.groupsByPc.delete(pcId);
      this.changed(pcId);
      return;
    }
    const key = groups.join("\u0000");
    let shared = this.shapes.get(key);
    if (!shared) {
      if (this.shapes.size > 50_000) this.shapes.clear(); // bounded even with unique sets
      this.shapes.set(key, shared = Object.freeze([...groups]));
    }
    this.groupsByPc.set(pcId, shared);
    for (const g of shared) {
      let s = this.membersByGroup.get(g);
      if (!s) this.membersByGroup.set(g, s = new Set());
      s.add(pcId);
    }
    this.changed(pcId);
  }

  reset() {
    this.groupsByPc.clear();
    this.membersByGroup.clear();
    this.shapes.clear();
    this.changed(null);
  }

  groupsOf(pcId: string): readonly string[] {
    return this.groupsByPc.get(pcId) ?? [];
  }

  members(group: string): ReadonlySet<string> {
    return this.membersByGroup.get(group) ?? new Set();
  }

  groupNames(): string[] {
    return [...this.membersByGroup.keys()];
  }

  /** pc → groups of every PC with a membership. */
  all(): ReadonlyMap<string, readonly string[]> {
    return this.groupsByPc;
  }
}
