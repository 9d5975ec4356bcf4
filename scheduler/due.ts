/**
 * Pure rules of when a tick is fired and how a failed fire is retried (no I/O, no clock:
 * every time is passed in), so the engine's exactly-once behaviour can be tested alone.
 *
 * - `dueTicks`: the ticks a leader starts at a wake. Each process keeps a cursor per
 *   schedule (the instant up to which it has started every due tick) and moves it only
 *   while it leads. A wake that finds the process not leading (a lapsed lease, a stalled
 *   event loop, a slow renew) leaves the cursor where it is, so the next wake as leader
 *   starts the ticks in between that are still inside their allowance. Nothing depends on
 *   noticing the moment leadership came back.
 * - `tickIds`: the exec and request ids of a tick's fire are derived from (schedule, tick),
 *   so every attempt, by any process, sends the same Command: agents drop a repeat by
 *   `request_id`, and the executions row is written once.
 * - `fireRetry`: whether a failed fire may be run again (see there).
 * - `claimVerdict`: what a tick's stored fire claim means to a would-be claimer. A claim
 *   is marked done once its fire is over; one that is not done long after it was made
 *   belongs to a claimer that died (or stalled) between claim and fire, and is taken over,
 *   revision-checked so by one process only. The fixed ids make that safe even when the
 *   old claimer was only slow: both would send the same Command.
 */

/** Next cron run strictly after `afterMs`, or null when there is none. */
export type NextRun = (afterMs: number) => number | null;

export interface DueInput {
  next: NextRun;
  /** Every tick at or before this instant was already started here (or is not ours). */
  cursorMs: number;
  nowMs: number;
  /** How late a tick may still be fired (starting_deadline, or the late grace). */
  allowedMs: number;
  /** Bound on the walk (a per-second cron after a long stall). */
  max?: number;
}

export interface Due {
  /** Ticks to start now, oldest first: after the cursor, not later than now, still allowed. */
  ticks: number[];
  /** Ticks after the cursor that are already past their allowance (counted, bounded). */
  late: number;
}

export function dueTicks(input: DueInput): Due {
  const { next, cursorMs, nowMs, allowedMs } = input;
  const max = input.max ?? 1000;
  // Integer ms: the first tick after `oldest - 1` is the oldest one still allowed.
  const oldest = nowMs - allowedMs;
  const ticks: number[] = [];
  for (
    let t = next(Math.max(cursorMs, oldest - 1));
    t !== null && t <= nowMs && ticks.length < max;
    t = next(t)
  ) ticks.push(t);
  let late = 0;
  for (let t = next(cursorMs); t !== null && t < oldest && late < max; t = next(t)) late++;
  return { ticks, late };
}

/** The ids of one tick's fire: a UUID-shaped digest of (schedule, tick, role). */
export async function tickIds(
  scheduleId: string,
  tickMs: number,
): Promise<{ execId: string; requestId: string }> {
  const [execId, requestId] = await Promise.all(
    ["exec", "request"].map((role) =>
      digestUuid(`kanade/scheduler\0${scheduleId}\0${tickMs}\0${role}`)
    ),
  );
  return { execId, requestId };
}

/** RFC 9562 version 8 (custom) UUID from the first 16 bytes of SHA-256(text). */
async function digestUuid(text: string): Promise<string> {
  const b = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  ).slice(0, 16);
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface FireFailure {
  /** The request was refused as invalid (a 4xx): the same request fails again. */
  invalid: boolean;
  /** A Command may already have reached an agent. */
  published: boolean;
  /** A repeat sends the very same Command (fixed ids, no wave record in between). */
  idempotent: boolean;
}

/**
 * A failed fire is run again (while the tick is still due) unless it was refused as
 * invalid, or a Command may have gone out and a repeat would not be the same Command
 * (then a repeat could run the job twice at an agent; the tick is given up instead).
 */
export function fireRetry(f: FireFailure): boolean {
  if (f.invalid) return false;
  return !f.published || f.idempotent;
}

/** Who claims a tick: the process (`holder`) and this tick task's own `nonce`. */
export interface Claimer {
  holder: string;
  nonce: string;
}

/** A stored claim as read back (fields unchecked: it may come from another build). */
export interface StoredClaim {
  holder?: unknown;
  nonce?: unknown;
  claimed_ms?: unknown;
  done?: unknown;
}

export type ClaimVerdict = "ours" | "done" | "stale" | "held";

/**
 * `ours`: this task's own claim (a retry whose first reply was lost); `done`: the fire is
 * over, or the claim is gone or unreadable (nothing to do); `stale`: not done and older
 * than `takeOverAfterMs` (null: never take over); `held`: another claimer is at it.
 */
export function claimVerdict(
  stored: StoredClaim | null,
  claimer: Claimer,
  nowMs: number,
  takeOverAfterMs: number | null,
): ClaimVerdict {
  if (!stored) return "done";
  if (stored.holder === claimer.holder && stored.nonce === claimer.nonce) return "ours";
  if (stored.done === true) return "done";
  if (
    takeOverAfterMs !== null && typeof stored.claimed_ms === "number" &&
    nowMs - stored.claimed_ms > takeOverAfterMs
  ) return "stale";
  return "held";
}
