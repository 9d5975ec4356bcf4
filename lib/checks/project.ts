/**
 * Check projection (later.md §2), run inside the results batch transaction on both write
 * paths (in-thread and the writer thread): results of jobs whose manifest has a fleet
 * `check:` hint upsert `check_status` (newer wins by `recorded_at`) and record each status
 * change in `check_transitions`, the outbox the operator alerts read (lib/alerts/).
 *
 * The batch's check writes run in their own SAVEPOINT: whatever fails there is rolled
 * back to it, then each result is retried in a savepoint of its own, so one result the
 * database refuses is logged and skipped while the result rows, the counters and the
 * other checks of the batch still commit. Stdout that is not JSON is logged and skipped
 * (no row), never stalling the stream.
 */
import type { Logger } from "../log.ts";
import type { SqlExec } from "../inventory/tables.ts";
import { throttled } from "../inventory/tables.ts";
import type { CheckHintFacts } from "./extract.ts";
import { checkKey, type CheckPlan, type CheckResult, type CheckRow, planChecks } from "./plan.ts";
import { checkWrites, clearMarks, storedChecks } from "./store.ts";

export type { CheckResult } from "./plan.ts";

/** What a batch changed, for the change notice (`kanade.changes.check`). */
export interface CheckChanges {
  written: number;
  transitions: number;
  check_names: string[];
  pc_ids: string[];
}

export const NO_CHECK_CHANGES: CheckChanges = {
  written: 0,
  transitions: 0,
  check_names: [],
  pc_ids: [],
};

const once = throttled();

/**
 * The check step for the written rows of one batch (arrival order). `hint(job_id)` gives
 * the job's fleet check hint, undefined when the job has none (or `fleet: false`).
 */
export async function projectChecks(
  tx: SqlExec,
  rows: CheckResult[],
  hint: (jobId: string) => CheckHintFacts | undefined,
  log: Logger,
): Promise<CheckChanges> {
  const work: { r: CheckResult; hint: CheckHintFacts }[] = [];
  for (const r of rows) {
    const h = r.job_id ? hint(r.job_id) : undefined;
    if (h) work.push({ r, hint: h });
  }
  if (!work.length) return NO_CHECK_CHANGES;

  const pairs = work.map((w): [string, string] => [w.r.pc_id, w.hint.name]);
  const plan = planChecks(work, await storedChecks(tx, pairs), await clearMarks(tx, pairs));
  for (const p of plan.poison) {
    const ids = { result_id: p.result.result_id, pc_id: p.result.pc_id, job_id: p.result.job_id };
    // One warning per job and 10 minutes: a whole fleet answering garbage is one line.
    if (once(`check stdout ${p.result.job_id}`)) {
      log.warn(`${p.reason}; check not updated`, ids);
    } else log.debug(`${p.reason}; check not updated`, ids);
  }
  if (plan.cleared) {
    log.debug("check results from before an operator's clear: not projected", {
      n: plan.cleared,
    });
  }
  if (plan.stale) {
    log.debug("check results older than the stored rows: not projected", { n: plan.stale });
  }

  const all = checkWrites(plan);
  if (!all.length) return NO_CHECK_CHANGES;
  await tx.execute("SAVEPOINT check_batch");
  try {
    await tx.batch(all);
    await tx.execute("RELEASE check_batch");
    return changesOf(plan.upserts, plan.transitions.length);
  } catch (e) {
    await tx.execute("ROLLBACK TO check_batch");
    await tx.execute("RELEASE check_batch");
    log.warn("check batch refused; retrying result by result", { err: e });
  }
  return await oneByOne(tx, plan, log);
}

/** The slow path after a refused batch: each row with its transitions in its own savepoint. */
async function oneByOne(tx: SqlExec, plan: CheckPlan, log: Logger): Promise<CheckChanges> {
  const done: CheckRow[] = [];
  let transitions = 0;
  for (const row of plan.upserts) {
    const key = checkKey(row.pc_id, row.check_name);
    const mine = plan.transitions.filter((t) => checkKey(t.pc_id, t.check_name) === key);
    await tx.execute("SAVEPOINT check_row");
    try {
      await tx.batch(checkWrites({ upserts: [row], transitions: mine }));
      await tx.execute("RELEASE check_row");
      done.push(row);
      transitions += mine.length;
    } catch (e) {
      await tx.execute("ROLLBACK TO check_row");
      await tx.execute("RELEASE check_row");
      log.warn("check projection failed; result kept, check skipped", {
        pc_id: row.pc_id,
        check: row.check_name,
        err: e,
      });
    }
  }
  return changesOf(done, transitions);
}

function changesOf(rows: CheckRow[], transitions: number): CheckChanges {
  if (!rows.length) return NO_CHECK_CHANGES;
  return {
    written: rows.length,
    transitions,
    check_names: [...new Set(rows.map((r) => r.check_name))].slice(0, 100),
    pc_ids: [...new Set(rows.map((r) => r.pc_id))].slice(0, 100),
  };
}
