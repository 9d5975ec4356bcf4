/** Executions read model (backend.md §3.6): list and detail with per-PC results. */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import type { Deps } from "../deps.ts";
import { wavesOf } from "../exec/waves.ts";
import { WaveStateSchema } from "../exec/wave_plan.ts";
import { apiTs, WireTimestampSchema } from "../../wire/time.ts";
import { notFound } from "../errors.ts";
import { limitParam, optText } from "./params.ts";

export const ExecutionsQuerySchema = z.object({
  limit: limitParam(50, 1000),
  job_id: optText,
  status: optText,
});
export type ExecutionsQuery = z.infer<typeof ExecutionsQuerySchema>;

const Ts = WireTimestampSchema;

export const ExecutionRowSchema = z.strictObject({
  exec_id: z.string(),
  job_id: z.string(),
  version: z.string(),
  initiated_by: z.string(),
  initiated_at: Ts.nullable(),
  target_count: z.number().int(),
  success_count: z.number().int(),
  failure_count: z.number().int(),
  status: z.string().meta({ description: "pending, running, completed, expired" }),
});
export type ExecutionRow = z.infer<typeof ExecutionRowSchema>;

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

export const ExecutionDetailSchema = z.strictObject({
  execution: ExecutionRowSchema,
  counters: z.strictObject({
    target: z.number().int(),
    success: z.number().int(),
    failure: z.number().int(),
    running: z.number().int(),
    reaped: z.number().int(),
    not_started: z.number().int().meta({
      description: "targets with no row yet (not started, or offline)",
    }),
  }),
  results: z.array(z.strictObject({
    result_id: z.string(),
    request_id: z.string(),
    pc_id: z.string(),
    exit_code: z.number().int().nullable(),
    started_at: Ts.nullable(),
    finished_at: Ts.nullable(),
    reaped: z.boolean(),
  })),
  waves: z.array(WaveStateSchema).meta({ description: "rollout waves (`[]` for a plain exec)" }),
});
export type ExecutionDetail = z.infer<typeof ExecutionDetailSchema>;

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
