/**
 * Pure decision of the check projection for one batch of written results: which
 * `check_status` rows to upsert and which status transitions happened, given the rows
 * already stored. Newer wins by `recorded_at` (the JetStream publish time): a result older
 * than the stored row — a redelivery or a replay out of order — changes nothing and makes
 * no transition, and so does one published at or before an operator's clear of that check
 * (all PCs or this one). Results of one batch are taken in arrival order, each against the state
 * the previous one left, so a batch gives the same rows and transitions as one-by-one.
 */
import { type CheckHintFacts, type CheckStatus, checkVerdict } from "./extract.ts";

/** The fields of a results row the check projection reads. */
export interface CheckResult {
  result_id: string;
  pc_id: string;
  job_id: string | null;
  exit_code: number;
  stdout: string;
  stderr: string;
  recorded_at: string;
}

/** A stored `check_status` row as the plan needs it. */
export interface StoredCheck {
  status: string;
  recorded_at: string;
}

/**
 * The newest clear per check, keyed by `checkKey(pc_id, check_name)`; pc_id '' is a clear
 * of every PC. Values are canonical DB text, comparable with `recorded_at`.
 */
export type ClearMarks = Map<string, string>;

export interface CheckRow {
  pc_id: string;
  check_name: string;
  label: string | null;
  status: CheckStatus;
  detail: string | null;
  recorded_at: string;
}

export interface CheckTransition extends CheckRow {
  /** The status before; null on the first projection of this (PC, check). */
  from_status: string | null;
}

export interface CheckPlan {
  /** Final row per (pc_id, check_name) of the batch. */
  upserts: CheckRow[];
  transitions: CheckTransition[];
  /** Results older than the stored row (not projected). */
  stale: number;
  /** Results published at or before a clear of their check (not projected). */
  cleared: number;
  /** Synthetic skips ignored. */
  skipped: number;
  /** Results whose stdout is not JSON: each with the reason, for the log. */
  poison: { result: CheckResult; reason: string }[];
}

export const checkKey = (pc: string, check: string) => `${pc}\u0000${check}`;

export function planChecks(
  work: { r: CheckResult; hint: CheckHintFacts }[],
  stored: Map<string, StoredCheck>,
  clears: ClearMarks = new Map(),
): CheckPlan {
  const plan: CheckPlan = {
    upserts: [],
    transitions: [],
    stale: 0,
    cleared: 0,
    skipped: 0,
    poison: [],
  };
  const state = new Map(stored);
  const rows = new Map<string, CheckRow>();
  for (const { r, hint } of work) {
    const v = checkVerdict(hint, r);
    if (v.kind === "skip") {
      plan.skipped++;
      continue;
    }
    if (v.kind === "poison") {
      plan.poison.push({ result: r, reason: v.reason });
      continue;
    }
    if (clearedBefore(clears, r.pc_id, hint.name, r.recorded_at)) {
      plan.cleared++;
      continue;
    }
    const key = checkKey(r.pc_id, hint.name);
    const before = state.get(key);
    if (before && r.recorded_at < before.recorded_at) {
      plan.stale++;
      continue;
    }
    const row: CheckRow = {
      pc_id: r.pc_id,
      check_name: hint.name,
      label: hint.label,
      status: v.outcome.status,
      detail: v.outcome.detail,
      recorded_at: r.recorded_at,
    };
    if (before?.status !== row.status) {
      plan.transitions.push({ ...row, from_status: before?.status ?? null });
    }
    state.set(key, { status: row.status, recorded_at: row.recorded_at });
    rows.set(key, row);
  }
  plan.upserts = [...rows.values()];
  return plan;
}

/** Whether a result published at `recordedAt` predates a clear of its check. */
function clearedBefore(marks: ClearMarks, pc: string, check: string, recordedAt: string) {
  if (!marks.size) return false;
  const all = marks.get(checkKey("", check));
  if (all !== undefined && recordedAt <= all) return true;
  const one = marks.get(checkKey(pc, check));
  return one !== undefined && recordedAt <= one;
}
