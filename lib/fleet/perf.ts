/**
 * Perf read models over `host_perf_samples` / `process_perf_samples` (backend.md §3.3).
 * Buckets are `floor(epoch(at)/step)*step`; each metric is the AVG (or MAX) over a bucket.
 * Windows are half-open `[from, to)` on the canonical DB timestamp form, so a text compare
 * is an instant compare.
 */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { rowsOf } from "../../db/client.ts";
import { apiTs, dbTs, WireTimestampSchema, wireTs } from "../../wire/time.ts";
import type { Window } from "./perf_params.ts";
import { HOST_PERF_METRICS } from "../../wire/perf.ts";

/** SQL for the epoch seconds of a canonical `at` column. */
const EPOCH = "CAST(strftime('%s', substr(at, 1, 19)) AS INTEGER)";

/** The host metrics charted over time: every sampled one but the CPU count (a constant). */
const HOST_COLUMNS = HOST_PERF_METRICS.filter((c): c is Exclude<typeof c, "cpu_count"> =>
  c !== "cpu_count"
);

// ---------------------------------------------------------------- response shapes

const Ts = WireTimestampSchema;
const metricValue = z.number().nullable();
const windowShape = {
  from: Ts,
  to: Ts,
  step_seconds: z.number().int(),
};

export const HostPerfSchema = z.strictObject({
  pc_id: z.string(),
  ...windowShape,
  points: z.array(z.strictObject({
    at: Ts.meta({ description: "bucket start" }),
    ...Object.fromEntries(HOST_COLUMNS.map((c) => [c, metricValue])) as Record<
      typeof HOST_COLUMNS[number],
      typeof metricValue
    >,
  })),
});

export const ProcessesSchema = z.strictObject({
  pc_id: z.string(),
  latest_at: Ts.nullable().meta({ description: "null when the PC sent no process sample" }),
  processes: z.array(z.strictObject({
    pid: z.number().int(),
    name: z.string(),
    cpu_pct: z.number(),
    rss_bytes: z.number(),
    disk_read_bytes_per_sec: metricValue,
    disk_written_bytes_per_sec: metricValue,
  })),
});

export const ProcessTimelineSchema = z.strictObject({
  pc_id: z.string(),
  metric: z.string(),
  ...windowShape,
  names: z.array(z.string()).meta({ description: "the top names, then `other` when present" }),
  points: z.array(z.strictObject({ at: Ts, values: z.record(z.string(), z.number()) })),
});

export const FleetPerfSchema = z.strictObject({
  metric: z.string(),
  agg: z.enum(["avg", "max"]),
  ...windowShape,
  points: z.array(z.strictObject({ at: Ts, value: metricValue })),
});

export const TopPcsSchema = z.strictObject({
  metric: z.string(),
  window_seconds: z.number().int(),
  rows: z.array(z.strictObject({
    pc_id: z.string(),
    hostname: z.string().nullable(),
    value: z.number(),
  })),
});

export const InvestigationsSchema = z.strictObject({
  window_seconds: z.number().int(),
  rows: z.array(z.strictObject({
    pc_id: z.string(),
    hostname: z.string().nullable(),
    latest_at: Ts.nullable(),
  })),
});

function windowOut(w: Window) {
  return { from: wireTs(w.fromMs), to: wireTs(w.toMs), step_seconds: w.stepSecs };
}

export async function hostPerf(db: Db, pcId: string, w: Window) {
  const rs = await db.execute({
    sql: `SELECT (${EPOCH} / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bucket, ${
      HOST_COLUMNS.map((c) => `AVG(${c}) AS ${c}`).join(", ")
    }
      FROM host_perf_samples WHERE pc_id = ? AND at >= ? AND at < ?
      GROUP BY bucket ORDER BY bucket`,
    args: [w.stepSecs, w.stepSecs, pcId, dbTs(w.fromMs), dbTs(w.toMs)],
  });
  const points = rowsOf<Record<string, number | null>>(rs).map((r) => {
    const p: Record<string, unknown> = { at: wireTs(Number(r.bucket) * 1000) };
    for (const c of HOST_COLUMNS) p[c] = r[c] ?? null;
    return p;
  });
  return { pc_id: pcId, ...windowOut(w), points };
}

export async function latestProcesses(db: Db, pcId: string) {
  const latest = rowsOf<{ at: string | null }>(
    await db.execute({
      sql: "SELECT MAX(at) AS at FROM process_perf_samples WHERE pc_id = ?",
      args: [pcId],
    }),
  )[0]?.at ?? null;
  if (!latest) return { pc_id: pcId, latest_at: null, processes: [] };
  const rs = await db.execute({
    sql: `SELECT pid, name, cpu_pct, rss_bytes, disk_read_bytes_per_sec, disk_written_bytes_per_sec
      FROM process_perf_samples WHERE pc_id = ? AND at = ? ORDER BY cpu_pct DESC, pid`,
    args: [pcId, latest],
  });
  return { pc_id: pcId, latest_at: apiTs(latest), processes: rowsOf(rs) };
}

/**
 * Per-process timeline: the `top` names with the highest AVG(metric) over the whole window,
 * then per bucket the AVG per name; every other process collapses into `"other"` (listed
 * last, only when such samples exist).
 */
export async function processTimeline(
  db: Db,
  pcId: string,
  metric: { name: string; column: string },
  w: Window,
  top: number,
) {
  const range = [pcId, dbTs(w.fromMs), dbTs(w.toMs)];
  const topRs = await db.execute({
    sql: `SELECT name, AVG(${metric.column}) AS v FROM process_perf_samples
      WHERE pc_id = ? AND at >= ? AND at < ? AND ${metric.column} IS NOT NULL
      GROUP BY name ORDER BY v DESC, name LIMIT ?`,
    args: [...range, top],
  });
  const names = rowsOf<{ name: string }>(topRs).map((r) => r.name);
  const rs = await db.execute({
    sql: `SELECT (${EPOCH} / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bucket,
        CASE WHEN name IN (SELECT value FROM json_each(?)) THEN name ELSE NULL END AS label,
        AVG(${metric.column}) AS v
      FROM process_perf_samples
      WHERE pc_id = ? AND at >= ? AND at < ? AND ${metric.column} IS NOT NULL
      GROUP BY bucket, label ORDER BY bucket`,
    args: [w.stepSecs, w.stepSecs, JSON.stringify(names), ...range],
  });
  const byBucket = new Map<number, Record<string, number>>();
  let hasOther = false;
  for (const r of rowsOf<{ bucket: number; label: string | null; v: number }>(rs)) {
    const b = Number(r.bucket);
    if (!byBucket.has(b)) byBucket.set(b, {});
    if (r.label === null) hasOther = true;
    byBucket.get(b)![r.label ?? "other"] = r.v;
  }
  return {
    pc_id: pcId,
    metric: metric.name,
    ...windowOut(w),
    names: hasOther ? [...names, "other"] : names,
    points: [...byBucket.entries()].map(([b, values]) => ({ at: wireTs(b * 1000), values })),
  };
}

export async function fleetPerf(
  db: Db,
  metric: { name: string; column: string },
  agg: "avg" | "max",
  w: Window,
) {
  const fn = agg === "max" ? "MAX" : "AVG";
  const rs = await db.execute({
    sql:
      `SELECT (${EPOCH} / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bucket, ${fn}(${metric.column}) AS value
      FROM host_perf_samples WHERE at >= ? AND at < ? AND ${metric.column} IS NOT NULL
      GROUP BY bucket ORDER BY bucket`,
    args: [w.stepSecs, w.stepSecs, dbTs(w.fromMs), dbTs(w.toMs)],
  });
  return {
    metric: metric.name,
    agg,
    ...windowOut(w),
    points: rowsOf<{ bucket: number; value: number }>(rs).map((r) => ({
      at: wireTs(Number(r.bucket) * 1000),
      value: r.value,
    })),
  };
}

export async function topPcs(
  db: Db,
  metric: { name: string; column: string },
  windowSecs: number,
  limit: number,
  nowMs: number,
) {
  const rs = await db.execute({
    sql: `SELECT s.pc_id AS pc_id, a.hostname AS hostname, AVG(s.${metric.column}) AS value
      FROM host_perf_samples s LEFT JOIN agents a ON a.pc_id = s.pc_id
      WHERE s.at >= ? AND s.${metric.column} IS NOT NULL
      GROUP BY s.pc_id ORDER BY value DESC, s.pc_id LIMIT ?`,
    args: [dbTs(nowMs - windowSecs * 1000), limit],
  });
  return { metric: metric.name, window_seconds: windowSecs, rows: rowsOf(rs) };
}

export const INVESTIGATION_WINDOW_SECS = 300;

/** PCs with process sampling switched on recently (any process sample in the last 5 min). */
export async function activeInvestigations(db: Db, nowMs: number) {
  const rs = await db.execute({
    sql: `SELECT s.pc_id AS pc_id, a.hostname AS hostname, MAX(s.at) AS latest_at
      FROM process_perf_samples s LEFT JOIN agents a ON a.pc_id = s.pc_id
      WHERE s.at >= ? GROUP BY s.pc_id ORDER BY latest_at DESC, s.pc_id`,
    args: [dbTs(nowMs - INVESTIGATION_WINDOW_SECS * 1000)],
  });
  return {
    window_seconds: INVESTIGATION_WINDOW_SECS,
    rows: rowsOf<{ pc_id: string; hostname: string | null; latest_at: string }>(rs).map((r) => ({
      pc_id: r.pc_id,
      hostname: r.hostname ?? null,
      latest_at: apiTs(r.latest_at),
    })),
  };
}
