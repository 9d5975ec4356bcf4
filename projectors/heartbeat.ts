/**
 * heartbeat projector: `heartbeat.>` → `agents`. Per window only the newest heartbeat of
 * each PC is written (#488). First non-null hostname/os_family stick; version,
 * last_heartbeat and the agent self-perf fields are overwritten (NULL too).
 */
import type { Transaction } from "@libsql/client";
import { type Heartbeat, HeartbeatSchema } from "../wire/messages.ts";
import { SUBJECT } from "../wire/names.ts";
import { z } from "zod";
import { dbTs, nowDb } from "../wire/time.ts";
import type { CoreProjectorSpec } from "./core_projector.ts";
import { wellFormed } from "./batch.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { fastDbTs } from "./fast_ts.ts";

/** A heartbeat as the projector holds it: `at` also as canonical DB text, rendered once. */
export type ProjectedHeartbeat = Heartbeat & { atDb?: string };

// `at` is checked by fastDbTs (one parse that also renders it) instead of the schema's
// refine, which parsed it once more; newestPerPc and the row reuse that text (3,333 beats a
// second at 100,000 agents parsed it four times each).
const HeartbeatWireSchema = HeartbeatSchema.extend({ at: z.string() });

export function decodeHeartbeat(data: Uint8Array): ProjectedHeartbeat {
  const h: ProjectedHeartbeat = HeartbeatWireSchema.parse(parseJsonBytes(data));
  h.atDb = fastDbTs(h.at); // throws on a bad timestamp: the message is rejected
  return h;
}

const atDbOf = (h: ProjectedHeartbeat) => h.atDb ??= dbTs(h.at);

/**
 * Pure: keep the newest heartbeat (by `at`, later arrival wins ties) per PC, but with the
 * first non-null hostname/os_family seen in the window (they stick, as in the DB).
 * Canonical DB text orders as time does (wire/time.ts).
 */
export function newestPerPc(items: ProjectedHeartbeat[]): ProjectedHeartbeat[] {
  const m = new Map<string, ProjectedHeartbeat>();
  const sticky = new Map<string, { hostname?: string | null; os_family?: string | null }>();
  for (const h of items) {
    const s = sticky.get(h.pc_id) ?? {};
    s.hostname ??= h.hostname ?? null;
    s.os_family ??= h.os_family ?? null;
    sticky.set(h.pc_id, s);
    const prev = m.get(h.pc_id);
    if (!prev || atDbOf(h) >= atDbOf(prev)) m.set(h.pc_id, h);
  }
  return [...m.values()].map((h) => ({ ...h, ...sticky.get(h.pc_id) }));
}

/** How a heartbeat updates a known agent: hostname and os_family stick, the rest follows. */
export const AGENTS_ON_CONFLICT = `ON CONFLICT(pc_id) DO UPDATE SET
    hostname = COALESCE(agents.hostname, excluded.hostname),
    os_family = COALESCE(agents.os_family, excluded.os_family),
    agent_version = excluded.agent_version,
    last_heartbeat = excluded.last_heartbeat,
    updated_at = excluded.updated_at,
    agent_cpu_pct = excluded.agent_cpu_pct,
    agent_rss_bytes = excluded.agent_rss_bytes,
    agent_disk_read_bytes = excluded.agent_disk_read_bytes,
    agent_disk_written_bytes = excluded.agent_disk_written_bytes,
    rev = excluded.rev`;

/**
 * One upsert for the whole batch: the rows arrive as one JSON array parameter (json_each),
 * so the statement's text is the same for every batch. Why: as multi-row VALUES lists of
 * 200 rows, each batch prepared a new ~2,200-parameter statement per 200 beats (prepares
 * were a fifth of the heartbeat writes' main-thread time in a profile of a 100k burst);
 * SQLite reading the JSON takes some of that back: 1.11x per heartbeat at the median of
 * seven runs (`deno task bench -- --only heartbeat_write`, docs/scale.md).
 * `updated_at` and `rev` are the batch's own (?1, ?2).
 */
const UPSERT_AGENTS = `INSERT INTO agents (pc_id, hostname, last_heartbeat, agent_version,
    os_family, updated_at, agent_cpu_pct, agent_rss_bytes, agent_disk_read_bytes,
    agent_disk_written_bytes, rev)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?1, value ->> 5,
    value ->> 6, value ->> 7, value ->> 8, ?2
  FROM json_each(?3) WHERE true
  ${AGENTS_ON_CONFLICT}`;

const wellFormedOrNull = (v: string | null | undefined) => v == null ? null : wellFormed(v);

/** The batch's rows as UPSERT_AGENTS's JSON parameter (its `value ->> i` order). */
function heartbeatRowsJson(rows: ProjectedHeartbeat[]): string {
  return JSON.stringify(rows.map((h) => [
    wellFormed(h.pc_id),
    wellFormedOrNull(h.hostname),
    atDbOf(h),
    wellFormed(h.agent_version),
    wellFormedOrNull(h.os_family),
    h.agent_cpu_pct ?? null,
    h.agent_rss_bytes ?? null,
    h.agent_disk_read_bytes ?? null,
    h.agent_disk_written_bytes ?? null,
  ]));
}

export async function applyHeartbeats(
  tx: Transaction,
  items: ProjectedHeartbeat[],
): Promise<string[]> {
  const rows = newestPerPc(items);
  if (rows.length === 0) return [];
  // One fleet revision for the whole batch (see the fleet_views migration): followers of
  // the table (lib/fleet/presence.ts) read the rows changed since the revision they saw.
  const revRs = await tx.execute("SELECT rev FROM agents_rev_now");
  const rev = Number(revRs.rows[0]?.rev ?? 0) + 1;
  await tx.execute({ sql: UPSERT_AGENTS, args: [nowDb(), rev, heartbeatRowsJson(rows)] });
  return rows.map((r) => r.pc_id);
}

export const heartbeatSpec: CoreProjectorSpec<ProjectedHeartbeat> = {
  name: "heartbeat",
  subject: SUBJECT.heartbeatFilter,
  decode: decodeHeartbeat,
  async apply(tx, items) {
    const pcs = await applyHeartbeats(tx, items);
    return [{ kind: "agent", count: pcs.length, pc_ids: pcs.slice(0, 100) }];
  },
};
