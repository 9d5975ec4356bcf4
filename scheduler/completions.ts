/**
 * The scheduler's reads of the projection DB: completions (newest successful finish per
 * PC for a manifest id), newest finish of any outcome (ends a dispatch mark's flight
 * early), and the number of scheduler executions still in flight (max_concurrent).
 * Queries go PC by PC through `json_each`, so each PC is one primary-key seek in
 * `job_pc_finishes` (kept by triggers as results finish, see its migration) rather than a
 * scan of the job's history.
 */
import type { Db } from "../db/client.ts";
import { rowsOf } from "../db/client.ts";
import { dbTs, parseInstant } from "../wire/time.ts";
import type { Completion } from "./policy.ts";

const toMs = (v: string) => parseInstant(v).ms;

/**
 * Per PC of `pcs`, its newest finish of the job (successful only, or any outcome). The
 * answer comes back as one JSON object (`json_group_object`): materialising 10k rows through
 * the client costs more than the 10k seeks themselves.
 */
async function maxFinishedPerPc(
  db: Db,
  jobId: string,
  pcs: readonly string[],
  successOnly: boolean,
): Promise<Record<string, string | null>> {
  if (pcs.length === 0) return {};
  const col = successOnly ? "last_ok_at" : "last_finished_at";
  const rs = await db.execute({
    sql: `SELECT json_group_object(p.value, f.${col}) AS j FROM json_each(?2) p
            LEFT JOIN job_pc_finishes f ON f.job_id = ?1 AND f.pc_id = p.value`,
    args: [jobId, JSON.stringify(pcs)],
  });
  const j = rowsOf<{ j: string | null }>(rs)[0]?.j;
  return j ? JSON.parse(j) as Record<string, string | null> : {};
}

/** Newest successful `finished_at` per PC among `pcs` for manifest `jobId`. */
export async function completionsFor(
  db: Db,
  jobId: string,
  pcs: readonly string[],
): Promise<Completion[]> {
  const out: Completion[] = [];
  for (const [pc_id, last] of Object.entries(await maxFinishedPerPc(db, jobId, pcs, true))) {
    if (last) out.push({ pc_id, finished_ms: toMs(last) });
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
  for (const [pc, last] of Object.entries(await maxFinishedPerPc(db, jobId, pcs, false))) {
    if (last) out.set(pc, toMs(last));
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
