/**
 * The scheduler's reads of the projection DB: completions (newest successful finish per
 * PC for a manifest id), newest finish of any outcome (ends a dispatch mark's flight
 * early), and the number of scheduler executions still in flight (max_concurrent).
 * Queries go PC by PC through `json_each`, so each PC is one index seek
 * (idx_execution_results_job_ok / idx_execution_results_job) rather than a scan of the job.
 */
import type { Db } from "../db/client.ts";
import { rowsOf } from "../db/client.ts";
import { dbTs, parseInstant } from "../wire/time.ts";
import type { Completion } from "./policy.ts";

const toMs = (v: string) => parseInstant(v).ms;

/** Newest successful `finished_at` per PC among `pcs` for manifest `jobId`. */
export async function completionsFor(
  db: Db,
  jobId: string,
  pcs: readonly string[],
): Promise<Completion[]> {
  if (pcs.length === 0) return [];
  const rs = await db.execute({
    sql: `SELECT p.value AS pc_id,
            (SELECT MAX(r.finished_at) FROM execution_results r
              WHERE r.job_id = ?1 AND r.pc_id = p.value AND r.exit_code = 0
                AND r.finished_at IS NOT NULL) AS last_ok
          FROM json_each(?2) p`,
    args: [jobId, JSON.stringify(pcs)],
  });
  const out: Completion[] = [];
  for (const r of rowsOf<{ pc_id: string; last_ok: string | null }>(rs)) {
    if (r.last_ok) out.push({ pc_id: r.pc_id, finished_ms: toMs(r.last_ok) });
  }
  return out;
}

/** Newest `finished_at` of any outcome per PC (only for PCs that carry a mark). */
export async function lastFinishes(
  db: Db,
  jobId: string,
  pcs: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (pcs.length === 0) return out;
  const rs = await db.execute({
    sql: `SELECT p.value AS pc_id,
            (SELECT MAX(r.finished_at) FROM execution_results r
              WHERE r.job_id = ?1 AND r.pc_id = p.value AND r.finished_at IS NOT NULL) AS last
          FROM json_each(?2) p`,
    args: [jobId, JSON.stringify(pcs)],
  });
  for (const r of rowsOf<{ pc_id: string; last: string | null }>(rs)) {
    if (r.last) out.set(r.pc_id, toMs(r.last));
  }
  return out;
}

/** Scheduler-initiated executions of `jobId` still pending/running, started after `sinceMs`. */
export async function inFlightExecutions(db: Db, jobId: string, sinceMs: number): Promise<number> {
  const rs = await db.execute({
    sql: `SELECT COUNT(*) AS n FROM executions
          WHERE job_id = ? AND initiated_by = 'scheduler' AND status IN ('pending', 'running')
            AND initiated_at >= ?`,
    args: [jobId, dbTs(sinceMs)],
  });
  return Number(rowsOf<{ n: number }>(rs)[0]?.n ?? 0);
}
