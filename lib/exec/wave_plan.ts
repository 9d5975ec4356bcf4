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
  /**
   * `publishing` = claimed by a dispatcher that has not confirmed the publish yet. A claim
   * older than CLAIM_STALE_MS is due again (its claimer died between claim and publish);
   * re-publishing is harmless since every wave carries the exec's one request_id, which
   * agents de-duplicate.
   */
  state: z.enum(["pending", "publishing", "published", "skipped"]),
  claimed_at: z.string().nullish(),
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

/** How long a `publishing` claim may stay unconfirmed before another dispatcher retakes it. */
export const CLAIM_STALE_MS = 30_000;

/** When a wave next needs a dispatcher: its due time, or when its claim goes stale. */
function wakeAt(w: WaveState, staleMs: number): number | null {
  if (w.state === "pending") return Date.parse(w.due_at);
  if (w.state === "publishing") {
    const claimed = Date.parse(w.claimed_at ?? "");
    return Number.isFinite(claimed) ? claimed + staleMs : 0;
  }
  return null;
}

/** Waves due now (pending and due, or a stale `publishing` claim), in index order. */
export function dueWaves(rec: WaveRecord, nowMs: number, staleMs = CLAIM_STALE_MS): WaveState[] {
  return rec.waves.filter((w) => {
    const t = wakeAt(w, staleMs);
    return t !== null && t <= nowMs;
  });
}

/** Earliest time (epoch ms) a wave needs a dispatcher, or null when all are settled. */
export function nextDue(rec: WaveRecord, staleMs = CLAIM_STALE_MS): number | null {
  let min: number | null = null;
  for (const w of rec.waves) {
    const t = wakeAt(w, staleMs);
    if (t !== null && (min === null || t < min)) min = t;
  }
  return min;
}

export function isSettled(rec: WaveRecord): boolean {
  return rec.waves.every((w) => w.state !== "pending" && w.state !== "publishing");
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
          claimed_at: state === "publishing"
            ? at
            : state === "pending"
            ? null
            : w.claimed_at ?? null,
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
