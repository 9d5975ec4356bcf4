/**
 * Fleet health (backend.md §3.1): agents known/active/stale, presence of the core
 * JetStream resources, failed results in the last 24 h; and per-job scan durations.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Db } from "../../db/client.ts";
import { dbTs, epochMs, nowWire, WireTimestampSchema } from "../../wire/time.ts";
import { BUCKET, OBJECT_STORE, STREAM } from "../../wire/names.ts";
import { fleetView } from "../fleet/fleet_view.ts";
import { instantParam } from "./params.ts";

/**
 * Longest run considered when filtering on `finished_at`: the extra `started_at` bound lets
 * the started_at index serve the query instead of a scan of every result (longer runs are
 * reaped long before this).
 */
export const MAX_RUN_MS = 7 * 86_400_000;

export type FleetStatus = "ok" | "unknown" | "degraded";

/** The resources the fleet cannot work without (upstream's health list). */
export const REQUIRED_STREAMS = [
  STREAM.inventory,
  STREAM.results,
  STREAM.exec,
  STREAM.events,
  STREAM.audit,
];
export const REQUIRED_BUCKETS = [
  BUCKET.scriptCurrent,
  BUCKET.scriptStatus,
  BUCKET.agentsState,
  BUCKET.agentConfig,
  BUCKET.agentGroups,
  BUCKET.schedules,
];
export const REQUIRED_OBJECT_STORES = [OBJECT_STORE.agentReleases];

/** Pure classification: missing resource → degraded; no agents → unknown; none active → degraded. */
export function classifyFleet(known: number, active: number, missing: number): FleetStatus {
  if (missing > 0) return "degraded";
  if (known === 0) return "unknown";
  if (active === 0) return "degraded";
  return "ok";
}

export const FleetHealthSchema = z.strictObject({
  status: z.enum(["ok", "unknown", "degraded"]),
  agents: z.strictObject({
    known: z.number().int(),
    active: z.number().int(),
    stale: z.number().int(),
  }),
  jetstream: z.strictObject({
    all_ok: z.boolean(),
    healthy: z.number().int(),
    total: z.number().int(),
    missing: z.array(z.string()),
  }),
  recent_results: z.strictObject({
    window_hours: z.number().int(),
    total: z.number().int(),
    failed: z.number().int(),
  }),
  observed_at: WireTimestampSchema,
});
export type FleetHealth = z.infer<typeof FleetHealthSchema>;

async function missingResources(
  deps: Pick<Deps, "nats">,
): Promise<{ total: number; missing: string[] }> {
  const names = [
    ...REQUIRED_STREAMS.map((s) => ({ label: s, stream: s })),
    ...REQUIRED_BUCKETS.map((b) => ({ label: `KV_${b}`, stream: `KV_${b}` })),
    ...REQUIRED_OBJECT_STORES.map((o) => ({ label: `OBJ_${o}`, stream: `OBJ_${o}` })),
  ];
  const missing: string[] = [];
  await Promise.all(names.map(async (n) => {
    try {
      await deps.nats.jsm.streams.info(n.stream);
    } catch {
      // Not found, or not answering (timeout): either way the fleet cannot use it.
      missing.push(n.label);
    }
  }));
  missing.sort();
  return { total: names.length, missing };
}

/**
 * Known / active agents come from the process's presence view (in memory, O(alive window));
 * the last 24 h of results from the per-minute counts the fleet_views migration's triggers
 * maintain (at most 1,441 rows summed, where a scan of every result of the last 8 days
 * grew with fleet size and exec rate). The window starts at the whole minute.
 */
export async function fleetHealth(
  deps: Pick<Deps, "db" | "nats" | "config" | "log">,
  nowMs = Date.now(),
): Promise<FleetHealth> {
  const windowHours = 24;
  const presence = await fleetView(deps).presence();
  const recent = await deps.db.execute({
    sql: `SELECT COALESCE(SUM(total), 0) AS total, COALESCE(SUM(failed), 0) AS failed
          FROM result_counts_minute WHERE minute >= ?`,
    args: [dbTs(nowMs - windowHours * 3_600_000).slice(0, 16)],
  });
  const known = presence.size;
  const active = presence.onlineCount(nowMs - deps.config.aliveWindowSecs * 1000);
  const js = await missingResources(deps);
  return {
    status: classifyFleet(known, active, js.missing.length),
    agents: { known, active, stale: known - active },
    jetstream: {
      all_ok: js.missing.length === 0,
      healthy: js.total - js.missing.length,
      total: js.total,
      missing: js.missing,
    },
    recent_results: {
      window_hours: windowHours,
      total: Number(recent.rows[0].total),
      failed: Number(recent.rows[0].failed),
    },
    observed_at: nowWire(),
  };
}

export const ScanDurationsQuerySchema = z.object({ since: instantParam.optional() });

export const ScanDurationSchema = z.strictObject({
  job_id: z.string(),
  count: z.number().int(),
  min_ms: z.number(),
  p50_ms: z.number(),
  p95_ms: z.number(),
  p99_ms: z.number(),
  max_ms: z.number(),
  mean_ms: z.number(),
  max_result_id: z.string().meta({ description: "the result of the longest run" }),
});
export type ScanDuration = z.infer<typeof ScanDurationSchema>;

/** Nearest-rank percentile of an ascending array. */
export function nearestRank(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Pure aggregation of (job, duration) samples; negative durations clamp to 0. */
export function aggregateDurations(
  samples: { job_id: string; ms: number; result_id: string }[],
): ScanDuration[] {
  const by = new Map<string, { ms: number; result_id: string }[]>();
  for (const s of samples) {
    const list = by.get(s.job_id) ?? [];
    list.push({ ms: Math.max(0, s.ms), result_id: s.result_id });
    by.set(s.job_id, list);
  }
  const out: ScanDuration[] = [];
  for (const [job_id, list] of by) {
    list.sort((a, b) => a.ms - b.ms);
    const xs = list.map((x) => x.ms);
    out.push({
      job_id,
      count: xs.length,
      min_ms: xs[0],
      p50_ms: nearestRank(xs, 50),
      p95_ms: nearestRank(xs, 95),
      p99_ms: nearestRank(xs, 99),
      max_ms: xs[xs.length - 1],
      mean_ms: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length),
      max_result_id: list[list.length - 1].result_id,
    });
  }
  return out.sort((a, b) => b.p95_ms - a.p95_ms || a.job_id.localeCompare(b.job_id));
}

export async function scanDurations(
  db: Db,
  since?: string,
  nowMs = Date.now(),
): Promise<ScanDuration[]> {
  const cutoff = since ?? dbTs(nowMs - 86_400_000);
  const rs = await db.execute({
    sql: `SELECT job_id, result_id, started_at, finished_at FROM execution_results
          WHERE started_at >= ? AND finished_at >= ? AND job_id IS NOT NULL AND reaped = 0`,
    args: [dbTs(epochMs(cutoff) - MAX_RUN_MS), cutoff],
  });
  return aggregateDurations(rs.rows.map((r) => ({
    job_id: String(r.job_id),
    result_id: String(r.result_id),
    ms: epochMs(String(r.finished_at)) - epochMs(String(r.started_at)),
  })));
}
