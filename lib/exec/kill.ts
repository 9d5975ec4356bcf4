/**
 * Kill (protocol.md §4.5): an empty message on `kill.<exec_id>` latches the kill on every
 * agent running that exec. Upstream once published `kill.<job_id>`, which no agent hears
 * (lesson #8): here a job kill enumerates its pending/running executions.
 */
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badRequest, internal, notFound } from "../errors.ts";
import { recordAudit } from "../audit.ts";
import { firstRow, rowsOf } from "../../db/client.ts";
import { isSubjectToken, subjects } from "../../wire/names.ts";
import { checkJobId } from "../catalog/jobs.ts";
import { cancelPendingWaves } from "./waves.ts";

const KILL_REASON = "cancelled by kill";

async function publishKills(deps: Deps, execIds: readonly string[]) {
  const nc = deps.nats.nc;
  try {
    for (const id of execIds) nc.publish(subjects.kill(id), new Uint8Array(0));
    await nc.flush();
  } catch (e) {
    throw internal(`publish kill: ${(e as Error).message}`, e);
  }
}

/** In-flight exec ids of a job (only ids usable as a subject token). */
export async function inflightExecs(deps: Deps, jobId: string): Promise<string[]> {
  const rs = await deps.db.execute({
    sql: `SELECT exec_id FROM executions WHERE job_id = ? AND status IN ('pending', 'running')
          ORDER BY initiated_at`,
    args: [jobId],
  });
  return rowsOf<{ exec_id: string }>(rs).map((r) => r.exec_id).filter(isSubjectToken);
}

export async function killJob(deps: Deps, jobId: string, caller?: Caller | null) {
  checkJobId(jobId);
  const execIds = await inflightExecs(deps, jobId);
  await publishKills(deps, execIds);
  for (const id of execIds) await cancelPendingWaves(deps, id, KILL_REASON);
  await recordAudit(deps.nats, {
    action: "job_kill",
    target: jobId,
    payload: { exec_ids: execIds },
  }, caller);
  return { exec_ids: execIds };
}

export async function killExecution(deps: Deps, execId: string, caller?: Caller | null) {
  if (!isSubjectToken(execId)) throw badRequest(`invalid exec id '${execId}'`);
  const row = firstRow<{ job_id: string; status: string }>(
    await deps.db.execute({
      sql: "SELECT job_id, status FROM executions WHERE exec_id = ?",
      args: [execId],
    }),
  );
  // An ad-hoc run (POST /api/run) has no `executions` row; its started event made an
  // in-flight result row, and the agent listens on the same kill subject.
  const target = row ?? firstRow<{ job_id: string | null; status: string }>(
    await deps.db.execute({
      sql: `SELECT job_id, 'running' AS status FROM execution_results
            WHERE exec_id = ? AND finished_at IS NULL LIMIT 1`,
      args: [execId],
    }),
  );
  if (!target) throw notFound(`execution '${execId}' not found`);
  await publishKills(deps, [execId]);
  const cancelled = await cancelPendingWaves(deps, execId, KILL_REASON);
  await recordAudit(deps.nats, {
    action: "execution_kill",
    target: execId,
    payload: {
      exec_id: execId,
      job_id: target.job_id,
      status: target.status,
      waves_cancelled: cancelled,
    },
  }, caller);
}
