/**
 * The agent's pre-run gates of protocol.md §4.1 steps 2–5, as pure functions: staleness
 * (127), version pin (124), revoke (126), deadline (125), each with upstream's stderr text.
 * Steps run in that order; the first gate that trips produces the synthetic result.
 */
import {
  EXIT_SKIP_DEADLINE,
  EXIT_SKIP_REVOKED,
  EXIT_SKIP_STALENESS,
  EXIT_SKIP_VERSION_PIN,
  SCRIPT_STATUS_REVOKED,
} from "../wire/names.ts";
import { formatDurationSecs, parseDurationSecs } from "../wire/duration.ts";
import { epochMs } from "../wire/time.ts";
import type { Command } from "../wire/messages.ts";

export interface GateInput {
  cmd: Command;
  nowMs: number;
  /** How long the agent has been cut off from the broker (0 when connected). */
  disconnectedMs: number;
  /** Lazily read `script_current[id]` (null = missing key/bucket). */
  scriptCurrent: () => Promise<string | null>;
  /** Lazily read `script_status[id]` (null = missing = active). */
  scriptStatus: () => Promise<string | null>;
}

export interface Skip {
  exitCode: number;
  stderr: string;
}

/** `2026-06-20 01:00:00 UTC` (chrono `%Y-%m-%d %H:%M:%S UTC`). */
export function utcHuman(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ") + " UTC";
}

export function stalenessSkip(cmd: Command, disconnectedMs: number): Skip | null {
  if (cmd.staleness.mode !== "strict") return null;
  let maxSecs: number;
  try {
    maxSecs = parseDurationSecs(cmd.staleness.max_cache_age);
  } catch {
    return null; // an unparseable policy cannot be enforced; upstream fails decode earlier
  }
  if (disconnectedMs <= maxSecs * 1000) return null;
  return {
    exitCode: EXIT_SKIP_STALENESS,
    stderr: `skipped: staleness policy (mode=strict) exceeded — agent has been disconnected for ${
      formatDurationSecs(Math.floor(disconnectedMs / 1000))
    }, max allowed ${formatDurationSecs(maxSecs)}`,
  };
}

export function versionPinSkip(cmd: Command, current: string | null): Skip | null {
  if (current === null || current === cmd.version) return null;
  return {
    exitCode: EXIT_SKIP_VERSION_PIN,
    stderr:
      `skipped: version-pin mismatch — script_current[${cmd.id}] = ${current}, command brought ${cmd.version}`,
  };
}

export function revokeSkip(cmd: Command, status: string | null): Skip | null {
  if (status?.trim().toUpperCase() !== SCRIPT_STATUS_REVOKED) return null;
  return {
    exitCode: EXIT_SKIP_REVOKED,
    stderr: `skipped: command was revoked (script_status[${cmd.id}] = revoked)`,
  };
}

/** `now > deadline_at` skips; equal still runs. */
export function deadlineSkip(cmd: Command, nowMs: number): Skip | null {
  if (!cmd.deadline_at) return null;
  const deadline = epochMs(cmd.deadline_at);
  if (!(nowMs > deadline)) return null;
  return {
    exitCode: EXIT_SKIP_DEADLINE,
    stderr: `skipped: starting deadline expired ${
      formatDurationSecs(Math.floor((nowMs - deadline) / 1000))
    } ago (deadline ${utcHuman(deadline)}, received ${utcHuman(nowMs)})`,
  };
}

/** Steps 2–5 in order; KV lookups happen only when the earlier gates pass. */
export async function runGates(g: GateInput): Promise<Skip | null> {
  return stalenessSkip(g.cmd, g.disconnectedMs) ??
    versionPinSkip(g.cmd, await g.scriptCurrent()) ??
    revokeSkip(g.cmd, await g.scriptStatus()) ??
    deadlineSkip(g.cmd, g.nowMs);
}
