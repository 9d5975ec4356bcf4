/** Executions read model (backend.md §3.6): list and detail with per-PC results. */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import type { Deps } from "../deps.ts";
import { wavesOf, type WaveState } from "../exec/waves.ts";
import { apiTs } from "../../wire/time.ts";
import { notFound } from "../errors.ts";
import { limitParam, optText } from "./params.ts";

export const ExecutionsQuerySchema = z.object({
  limit: limitParam(50, 1000),
  job_id: optText,
  status: optText,
});
export type ExecutionsQuery = z.infer<typeof ExecutionsQuerySchema>;

export interface ExecutionRow {
  exec_id: string;
  job_id: string;
  version: string;
  initiated_by: string;
  initiated_at: string | null;
  target_count: number;
  success_count: number;
  failure_count: number;
  status: string;
}

export function toExecutionRow(r: Record<string, unknown>): ExecutionRow {
  return {
    exec_id: String(r.exec_id),
    job_id: String(r.job_id),
    version: String(r.version),
    initiated_by: String(r.initiated_by),
    initiated_at: apiTs(r.initiated_at),
    target_count: Number(r.target_count),
    success_count: Number(r.success_count),
    failure_count: Number(r.failure_count),
    status: String(r.status),
  };
}

export async function listExecutions(
  db: Db,
  q: ExecutionsQuery,
): Promise<{ rows: ExecutionRow[]; total: number }> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.job_id) {
    where.push("job_id = ?");
    args.push(q.job_id);
  }
  if (q.status) {
    where.push("status = ?");
    args.push(q.status);
  }
  const w = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  const [page, count] = await db.batch([
    {
      sql: `SELECT * FROM executions${w} ORDER BY initiated_at DESC, exec_id DESC LIMIT ?`,
      args: [...args, q.limit],
    },
    { sql: `SELECT COUNT(*) AS n FROM executions${w}`, args },
  ], "read");
  return {
    rows: page.rows.map((r) => toExecutionRow(r as Record<string, unknown>)),
    total: Number(count.rows[0].n),
  };
}

export interface ExecutionDetail {
  execution: ExecutionRow;
  counters: {
    target: number;
    success: number;
    failure: number;
    running: number;
    reaped: number;
    /** Targets with no row yet (not started, or offline). */
    not_started: number;
  };
  results: {
    result_id: string;
    request_id: string;
    pc_id: string;
    exit_code: number | null;
    started_at: string | null;
    finished_at: string | null;
    reaped: boolean;
  }[];
  /** Rollout waves (`[]` for a plain exec). */
  waves: WaveState[];
}

export async function getExecution(deps: Deps, execId: string): Promise<ExecutionDetail> {
  const [e, rs] = await deps.db.batch([
    { sql: "SELECT * FROM executions WHERE exec_id = ?", args: [execId] },
    {
      sql: `SELECT result_id, request_id, pc_id, exit_code, started_at, finished_at, reaped
            FROM execution_results WHERE exec_id = ? ORDER BY recorded_at DESC, result_id DESC`,
      args: [execId],
    },
  ], "read");
  if (!e.rows[0]) throw notFound(`execution ${execId} not found`);
  const execution = toExecutionRow(e.rows[0] as Record<string, unknown>);
  const results = rs.rows.map((r) => ({
    result_id: String(r.result_id),
    request_id: String(r.request_id),
    pc_id: String(r.pc_id),
    exit_code: r.exit_code === null ? null : Number(r.exit_code),
    started_at: apiTs(r.started_at),
    finished_at: apiTs(r.finished_at),
    reaped: Number(r.reaped) === 1,
  }));
  const running = results.filter((r) => r.finished_at === null).length;
  return {
    execution,
    counters: {
      target: execution.target_count,
      success: execution.success_count,
      failure: execution.failure_count,
      running,
      reaped: results.filter((r) => r.reaped).length,
      not_started: Math.max(0, execution.target_count - results.length),
    },
    results,
    waves: await wavesOf(deps, execId),
  };
}
