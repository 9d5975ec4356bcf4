/**
 * The canonical JetStream resources (protocol.md §3) with upstream settings:
 * file storage, limits retention, #518 byte caps with discard-old.
 */
import { BUCKET, OBJECT_STORE, STREAM } from "./names.ts";

const DAY_NS = 86_400n * 1_000_000_000n;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface StreamSpec {
  name: string;
  subjects: string[];
  maxAgeNanos: bigint; // 0 = unbounded
  maxMsgsPerSubject?: number;
  maxBytes: number;
}

export interface KvSpec {
  bucket: string;
  history: number;
  /** Created on first use upstream; we create it at bootstrap too (harmless). */
  lazy?: boolean;
  /** TTL of every entry in nanoseconds (0 = none). */
  ttlNanos?: bigint;
}

export interface ObjSpec {
  bucket: string;
  maxAgeNanos?: bigint;
  maxBytes?: number;
}

export const STREAMS: StreamSpec[] = [
  { name: STREAM.inventory, subjects: ["inventory.>"], maxAgeNanos: 90n * DAY_NS, maxBytes: GiB },
  { name: STREAM.results, subjects: ["results.>"], maxAgeNanos: 30n * DAY_NS, maxBytes: 2 * GiB },
  {
    name: STREAM.exec,
    subjects: ["commands.>"],
    maxAgeNanos: 7n * DAY_NS,
    maxMsgsPerSubject: 1,
    maxBytes: 64 * MiB,
  },
  { name: STREAM.events, subjects: ["events.>"], maxAgeNanos: 7n * DAY_NS, maxBytes: 256 * MiB },
  { name: STREAM.audit, subjects: ["audit.>"], maxAgeNanos: 90n * DAY_NS, maxBytes: 512 * MiB },
  { name: STREAM.obsEvents, subjects: ["obs.>"], maxAgeNanos: 90n * DAY_NS, maxBytes: 512 * MiB },
  {
    name: STREAM.notifications,
    subjects: ["notifications.>"],
    maxAgeNanos: 90n * DAY_NS,
    maxBytes: 512 * MiB,
  },
];

export const KV_BUCKETS: KvSpec[] = [
  { bucket: BUCKET.scriptCurrent, history: 5 },
  { bucket: BUCKET.scriptStatus, history: 5 },
  { bucket: BUCKET.agentsState, history: 1 },
  { bucket: BUCKET.agentConfig, history: 5 },
  { bucket: BUCKET.agentGroups, history: 5 },
  { bucket: BUCKET.schedules, history: 5 },
  { bucket: BUCKET.jobs, history: 5 },
  { bucket: BUCKET.jobsYaml, history: 5 },
  { bucket: BUCKET.schedulesYaml, history: 5 },
  { bucket: BUCKET.fleetConfig, history: 1 },
  { bucket: BUCKET.schedulerDispatch, history: 1, lazy: true, ttlNanos: 3_600n * 1_000_000_000n },
  { bucket: BUCKET.pendingWaves, history: 1 },
  { bucket: BUCKET.leases, history: 1 },
  { bucket: BUCKET.accounts, history: 10 },
  { bucket: BUCKET.alertRules, history: 5 },
  // Counters carry their own timestamps; the TTL only sweeps them (longest lock: 1 day).
  { bucket: BUCKET.authThrottle, history: 1, ttlNanos: 86_400n * 1_000_000_000n },
];

export const OBJECT_STORES: ObjSpec[] = [
  { bucket: OBJECT_STORE.agentReleases },
  { bucket: OBJECT_STORE.appPackages },
  { bucket: OBJECT_STORE.scripts },
  { bucket: OBJECT_STORE.resultOutput, maxAgeNanos: 30n * DAY_NS, maxBytes: GiB },
];
