/**
 * KV `agent_config` as a watched in-memory map (key → latest value), fed by `followBucket`
 * in the fleet view. Why: `GET /api/groups` (which groups have a config scope) and the
 * rollout status (which scopes set a target_version) listed the bucket per request, a
 * consumer created and drained per call: three or four broker round trips, each slow while
 * a fleet-wide burst keeps the broker busy. Following the bucket costs one stream-info
 * round trip per read (the catch-up). Memory: one entry per stored scope.
 */
import type { KvEntry, KvValue } from "../kv.ts";

export class ConfigEntries {
  private byKey = new Map<string, KvValue>();
  private sorted: KvValue[] | null = null;
  /** Bumped by every change (derived caches compare it). */
  changes = 0;

  apply(e: KvEntry) {
    if (e.operation === "PUT") {
      this.byKey.set(e.key, { key: e.key, value: e.value, revision: e.revision });
    } else this.byKey.delete(e.key);
    this.sorted = null;
    this.changes++;
  }

  reset() {
    this.byKey.clear();
    this.sorted = null;
    this.changes++;
  }

  /** Every live entry, in key order (as a listing of the bucket answers). */
  values(): readonly KvValue[] {
    return this.sorted ??= [...this.byKey.values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0
    );
  }

  keys(): string[] {
    return this.values().map((v) => v.key);
  }
}
