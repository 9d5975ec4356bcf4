/**
 * Persisted rollout waves (pure part). One `pending_waves` KV entry per exec holds the
 * Command to publish and every wave's state, so a delayed wave survives a restart and a
 * revision-checked update lets exactly one API process publish it.
 */
import { z } from "zod";

export const WaveStateSchema = z.object({
  index: z.number().int().nonnegative(),
  group: z.string(),
  delay: z.string(),
  due_at: z.string(),
  state: z.enum(["pending", "published", "skipped"]),
  published_at: z.string().nullish(),
  reason: z.string().nullish(),
});
export type WaveState = z.infer<typeof WaveStateSchema>;

export const WaveRecordSchema = z.object({
  exec_id: z.string(),
  job_id: z.string(),
  created_at: z.string(),
  /** The encoded Command (same request_id for every wave: an agent in two waves runs once). */
  command: z.record(z.string(), z.unknown()),
  max_failures: z.union([z.number(), z.string()]).nullish(),
  waves: z.array(WaveStateSchema),
});
export type WaveRecord = z.infer<typeof WaveRecordSchema>;

/** Waves whose due time has come and that are still pending, in index order. */
export function dueWaves(rec: WaveRecord, nowMs: number): WaveState[] {
  return rec.waves.filter((w) => w.state === "pending" && Date.parse(w.due_at) <= nowMs);
}

/** Earliest due time (epoch ms) of a pending wave, or null when nothing is pending. */
export function nextDue(rec: WaveRecord): number | null {
  let min: number | null = null;
  for (const w of rec.waves) {
    if (w.state !== "pending") continue;
    const t = Date.parse(w.due_at);
    if (min === null || t < min) min = t;
  }
  return min;
}

export function isSettled(rec: WaveRecord): boolean {
  return rec.waves.every((w) => w.state !== "pending");
}

/** A copy of `rec` with wave `index` moved to `state`. */
export function withWaveState(
  rec: WaveRecord,
  index: number,
  state: WaveState["state"],
  at: string | null,
  reason?: string,
): WaveRecord {
  return {
    ...rec,
    waves: rec.waves.map((w) =>
      w.index === index
        ? {
          ...w,
          state,
          published_at: state === "published"
            ? at
            : state === "pending"
            ? null
            : w.published_at ?? null,
          reason: reason ?? w.reason ?? null,
        }
        : w
    ),
  };
}

/** A settled record older than the executions retention can go (0 = keep forever). */
export function isPrunable(rec: WaveRecord, nowMs: number, retentionDays: number): boolean {
  if (retentionDays <= 0 || !isSettled(rec)) return false;
  const created = Date.parse(rec.created_at);
  return Number.isFinite(created) && nowMs - created > retentionDays * 86_400_000;
}
