/**
 * audit projector: `AUDIT` → `audit_log`, idempotent by stream sequence (a redelivery or
 * a replay after a consumer reset never duplicates a row).
 */
import type { Transaction } from "@libsql/client";
import { AuditEventSchema } from "../wire/messages.ts";
import { CONSUMER, STREAM } from "../wire/names.ts";
import { dbTs } from "../wire/time.ts";
import { chunks, valuesSql } from "./batch.ts";
import type { Item, JsProjectorSpec } from "./jetstream_projector.ts";

export const decodeAudit = (data: Uint8Array) =>
  AuditEventSchema.parse(JSON.parse(new TextDecoder().decode(data)));
type Audit = ReturnType<typeof decodeAudit>;

/** The executions row an `exec` audit event describes, or null for any other event. */
export function execRowOf(a: Audit): {
  exec_id: string;
  job_id: string;
  version: string;
  initiated_by: string;
  initiated_at: string;
  target_count: number;
} | null {
  if (a.action !== "exec" || !a.target) return null;
  const p = a.payload as Record<string, unknown> | null;
  if (!p || typeof p !== "object") return null;
  const { exec_id, version, target_count } = p;
  if (typeof exec_id !== "string" || typeof version !== "string") return null;
  if (typeof target_count !== "number" || !Number.isInteger(target_count) || target_count < 0) {
    return null;
  }
  return {
    exec_id,
    job_id: a.target,
    version,
    initiated_by: a.actor,
    // The exec pipeline stamps the event with the row's own initiated_at.
    initiated_at: dbTs(a.occurred_at),
    target_count,
  };
}

/**
 * An `exec` audit event also (re)creates its `executions` row when the row is missing: on a
 * node with its own read model (`KANADE_PROJECTION_MODE=local`) whose API did not dispatch
 * the exec, and after a wiped DB replays the streams. Results may have been projected
 * first, so the counters are computed from the rows already there; a row the dispatching
 * API wrote is never touched.
 */
function execRowStatements(items: Item<Audit>[]) {
  return items.flatMap(({ value }) => {
    const r = execRowOf(value);
    if (!r) return [];
    return [{
      sql: `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at,
              target_count, success_count, failure_count, status)
            SELECT ?, ?, ?, ?, ?, ?,
              COALESCE(SUM(finished_at IS NOT NULL AND exit_code = 0), 0),
              COALESCE(SUM(finished_at IS NOT NULL AND exit_code != 0), 0),
              CASE WHEN COUNT(finished_at) >= MAX(?, 1) THEN 'completed'
                   WHEN COUNT(*) > 0 THEN 'running' ELSE 'pending' END
            FROM execution_results WHERE exec_id = ?
            ON CONFLICT(exec_id) DO NOTHING`,
      args: [
        r.exec_id,
        r.job_id,
        r.version,
        r.initiated_by,
        r.initiated_at,
        r.target_count,
        r.target_count,
        r.exec_id,
      ],
    }];
  });
}

export async function applyAudit(tx: Transaction, items: Item<Audit>[]): Promise<void> {
  const stmts = chunks(items, 200).map((part) => ({
    sql: `INSERT OR IGNORE INTO audit_log (actor, action, target, payload, occurred_at, stream_seq)
          VALUES ${valuesSql(part.length, 6)}`,
    args: part.flatMap(({ value: a, seq }) => [
      a.actor,
      a.action,
      a.target,
      a.payload === null ? null : JSON.stringify(a.payload),
      dbTs(a.occurred_at),
      seq,
    ]),
  }));
  stmts.push(...execRowStatements(items));
  if (stmts.length) await tx.batch(stmts);
}

export function auditSpec(durable: string = CONSUMER.audit): JsProjectorSpec<Audit> {
  return {
    name: "audit",
    stream: STREAM.audit,
    durable,
    decode: decodeAudit,
    async apply(tx, items) {
      await applyAudit(tx, items);
      return [{ kind: "audit", count: items.length }];
    },
  };
}
