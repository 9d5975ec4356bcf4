/**
 * The `executions` table lifecycle: the one module that writes that table. The API, the
 * projectors (also the results writer thread) and the cleanup sweep call these named
 * operations; `tests/owners_test.ts` fails on SQL writing `executions` anywhere else.
 *
 *        insertPending (API dispatch)        recreate (AUDIT `exec`, a replay or another
 *                   │                                  │  node's read model)
 *                   ▼                                  ▼
 *   drop ◄──── pending ─────── markRunning ──────► running
 *  (dispatch     │  │          (a run started)        │
 *   failed,      │  └──────────── addCounts ─────────┐ │ addCounts / reap
 *   AUDIT        │ expire        (every target       │ │ (a result, or a run that
 *   `exec_       ▼  (pending     counted)            ▼ ▼  never answered)
 *   aborted`) expired  too long) ─ addCounts ──────► completed
 *
 * `addCounts` is also what completes: it adds a batch's fresh successes and failures and
 * sets `completed` once every expected PC is counted, `running` before (a late result on
 * an expired execution revives it, as upstream). `reap` counts a run that never answered
 * as one failure, through the same statement. `prune` is retention. Every counter move is
 * a statement the caller runs inside the transaction that writes the result rows, so a
 * counter never moves without its result (and the hot path stays one batch).
 */
import type { Db } from "../../db/client.ts";

/** One statement with positional arguments, for the caller's batch or transaction. */
export interface Statement {
  sql: string;
  args: (string | number | null)[];
}

/** What `insertPending` writes: a dispatched execution before any Command went out. */
export interface PendingExecution {
  exec_id: string;
  job_id: string;
  version: string;
  initiated_by: string;
  /** Canonical DB text (`dbTs`). */
  initiated_at: string;
  target_count: number;
}

/** The row's columns in the order both inserts list them. */
function rowArgs(row: PendingExecution): (string | number)[] {
  return [
    row.exec_id,
    row.job_id,
    row.version,
    row.initiated_by,
    row.initiated_at,
    row.target_count,
  ];
}

/**
 * Inserts the row of a new execution as `pending`. A repeat with the same exec id (the
 * scheduler's fixed ids) keeps the first row: `inserted` is false and `initiated_at` is
 * the stored one.
 */
export async function insertPending(
  db: Db,
  row: PendingExecution,
): Promise<{ inserted: boolean; initiated_at: string }> {
  const rs = await db.execute({
    sql: `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at,
            target_count, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')
          ON CONFLICT(exec_id) DO NOTHING`,
    args: rowArgs(row),
  });
  if (rs.rowsAffected > 0) return { inserted: true, initiated_at: row.initiated_at };
  const prev = await db.execute({
    sql: "SELECT initiated_at FROM executions WHERE exec_id = ?",
    args: [row.exec_id],
  });
  const at = prev.rows[0]?.initiated_at;
  return { inserted: false, initiated_at: typeof at === "string" ? at : row.initiated_at };
}

/**
 * Removes the row of one dispatch attempt that failed (the API), or that AUDIT records as
 * aborted (`exec_aborted`). Only the row of that attempt (its `initiated_at`): a later
 * attempt with the same exec id (a scheduler repeat) has its own row and keeps it.
 */
export function dropStatement(execId: string, initiatedAt: string): Statement {
  return {
    sql: "DELETE FROM executions WHERE exec_id = ? AND initiated_at = ?",
    args: [execId, initiatedAt],
  };
}

export async function drop(db: Db, execId: string, initiatedAt: string): Promise<void> {
  await db.execute(dropStatement(execId, initiatedAt));
}

/**
 * (Re)creates an execution from its durable `exec` record when the row is missing (a
 * wiped database replaying AUDIT, or a node whose API did not dispatch it). Results may
 * have been projected first, so counters and status come from the result rows already
 * there; an existing row is never touched.
 */
export function recreateStatement(row: PendingExecution): Statement {
  return {
    sql: `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at,
            target_count, success_count, failure_count, status)
          SELECT ?, ?, ?, ?, ?, ?,
            COALESCE(SUM(finished_at IS NOT NULL AND exit_code = 0), 0),
            COALESCE(SUM(finished_at IS NOT NULL AND exit_code != 0), 0),
            CASE WHEN COUNT(finished_at) >= MAX(?, 1) THEN 'completed'
                 WHEN COUNT(*) > 0 THEN 'running' ELSE 'pending' END
          FROM execution_results WHERE exec_id = ?
          ON CONFLICT(exec_id) DO NOTHING`,
    args: [...rowArgs(row), row.target_count, row.exec_id],
  };
}

/** pending → running for the executions of runs that started (one statement per 500). */
export function markRunningStatements(execIds: readonly string[]): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < execIds.length; i += 500) {
    const part = execIds.slice(i, i + 500);
    out.push({
      sql: `UPDATE executions SET status = 'running'
            WHERE status = 'pending' AND exec_id IN (${part.map(() => "?").join(",")})`,
      args: part,
    });
  }
  return out;
}

export interface Counts {
  success: number;
  failure: number;
}

/**
 * Adds fresh successes and failures per execution; `completed` once every expected PC is
 * counted, else `running`. One statement per execution, for the caller's transaction.
 */
export function addCountsStatements(counts: ReadonlyMap<string, Counts>): Statement[] {
  const out: Statement[] = [];
  for (const [execId, c] of counts) {
    out.push({
      sql: `UPDATE executions SET
              success_count = success_count + ?,
              failure_count = failure_count + ?,
              status = CASE WHEN success_count + failure_count + ? >= target_count
                            THEN 'completed' ELSE 'running' END
            WHERE exec_id = ?`,
      args: [c.success, c.failure, c.success + c.failure, execId],
    });
  }
  return out;
}

/** Counts each reaped run (a run that never answered) as one failure of its execution. */
export function reapStatements(reapedPerExec: ReadonlyMap<string, number>): Statement[] {
  return addCountsStatements(
    new Map([...reapedPerExec].map(([id, n]) => [id, { success: 0, failure: n }])),
  );
}

/** pending → expired for executions initiated before `cutoff` (DB text, strict). */
export async function expirePending(db: Db, cutoff: string): Promise<number> {
  const rs = await db.execute({
    sql: "UPDATE executions SET status = 'expired' WHERE status = 'pending' AND initiated_at < ?",
    args: [cutoff],
  });
  return rs.rowsAffected;
}

/** Retention: deletes up to `limit` executions initiated before `cutoff`. */
export async function prune(db: Db, cutoff: string, limit: number): Promise<number> {
  const rs = await db.execute({
    sql: `DELETE FROM executions WHERE rowid IN
            (SELECT rowid FROM executions WHERE initiated_at < ? LIMIT ?)`,
    args: [cutoff, limit],
  });
  return rs.rowsAffected;
}
