/**
 * The scheduler's pure decisions (backend.md §7.2): whether a tick fires, at whom, and
 * whether the schedule is done. No I/O here; the engine gathers the inputs.
 */
import type { Mode } from "../wire/schedule.ts";

export type FireAction =
  | { kind: "skip" }
  | { kind: "fire_whole_target" }
  | { kind: "fire_pcs"; pcs: string[] };

export interface Decision {
  action: FireAction;
  autoDisable: boolean;
}

export interface Completion {
  pc_id: string;
  /** Epoch ms of a successful finish. */
  finished_ms: number;
}

export interface DecideInput {
  mode: Mode;
  /** null = no cooldown ("succeed once, never again"). */
  cooldownMs: number | null;
  autoDisableWhenDone: boolean;
  /** Expected PCs E, in the order to fire them. */
  expected: readonly string[];
  /** Successful completions C; several per PC allowed, the newest wins. */
  completions: Iterable<Completion>;
  nowMs: number;
}

const SKIP: FireAction = { kind: "skip" };

/** Newest completion per PC. */
export function latestByPc(completions: Iterable<Completion>): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of completions) {
    const prev = out.get(c.pc_id);
    if (prev === undefined || c.finished_ms > prev) out.set(c.pc_id, c.finished_ms);
  }
  return out;
}

/** Re-armed when `now - last >= cooldown` (inclusive boundary). */
function rearmed(last: number, cooldownMs: number | null, nowMs: number): boolean {
  return cooldownMs !== null && nowMs - last >= cooldownMs;
}

export function decideFire(input: DecideInput): Decision {
  const { mode, cooldownMs, autoDisableWhenDone, expected, nowMs } = input;
  if (mode === "every_tick") return { action: { kind: "fire_whole_target" }, autoDisable: false };
  const last = latestByPc(input.completions);

  if (mode === "once_per_pc") {
    const eligible = expected.filter((pc) => {
      const l = last.get(pc);
      return l === undefined || rearmed(l, cooldownMs, nowMs);
    });
    if (eligible.length) return { action: { kind: "fire_pcs", pcs: eligible }, autoDisable: false };
    const done = autoDisableWhenDone && cooldownMs === null && expected.length > 0 &&
      expected.every((pc) => last.has(pc));
    return { action: SKIP, autoDisable: done };
  }

  // once_per_target: only completions of PCs inside the roster count.
  let latest: number | null = null;
  for (const pc of expected) {
    const l = last.get(pc);
    if (l !== undefined && (latest === null || l > latest)) latest = l;
  }
  const armed = latest === null || rearmed(latest, cooldownMs, nowMs);
  if (armed) {
    return expected.length
      ? { action: { kind: "fire_whole_target" }, autoDisable: false }
      : { action: SKIP, autoDisable: false };
  }
  return {
    action: SKIP,
    autoDisable: autoDisableWhenDone && cooldownMs === null && latest !== null,
  };
}

// ---------------------------------------------------------------- in-flight suppression

export const MARK_MIN_SECS = 90;
export const MARK_MAX_SECS = 30 * 60;

/** How long a dispatch mark suppresses re-fires: clamp(jitter + timeout + 90 s, 90 s, 30 min). */
export function markWindowSecs(jitterSecs: number, timeoutSecs: number): number {
  const raw = jitterSecs + timeoutSecs + MARK_MIN_SECS;
  return Math.min(MARK_MAX_SECS, Math.max(MARK_MIN_SECS, raw));
}

export interface Mark {
  /** Epoch ms of the fire. */
  atMs: number;
  /** Epoch ms after which the mark no longer suppresses. */
  untilMs: number;
}

/**
 * A mark means "in flight" while it has not expired and no run finished (any exit code)
 * at or after the fire: a success or failure ends the flight early.
 */
export function isInFlight(
  mark: Mark | undefined,
  lastFinishMs: number | undefined,
  nowMs: number,
) {
  if (!mark || nowMs >= mark.untilMs) return false;
  return lastFinishMs === undefined || lastFinishMs < mark.atMs;
}

/**
 * Narrow a per-PC fire: drop PCs still in flight, then cap the number in flight at
 * `maxConcurrent` (null = no cap). Keeps the order of `pcs`.
 */
export function narrowPcs(
  pcs: readonly string[],
  inFlight: ReadonlySet<string>,
  maxConcurrent: number | null,
): string[] {
  const free = pcs.filter((pc) => !inFlight.has(pc));
  if (maxConcurrent === null) return free;
  const room = Math.max(0, maxConcurrent - inFlight.size);
  return free.slice(0, room);
}
