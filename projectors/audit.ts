/**
 * audit projector: `AUDIT` → `audit_log`, idempotent by stream sequence (a redelivery or
 * a replay after a consumer reset never duplicates a row).
 */
import type { Transaction } from "@libsql/client";
import { AuditEventSchema } from "../wire/messages.ts";
import { CONSUMER, STREAM } from "../wire/names.ts";
import { dbTs } from "../wire/time.ts";
import { insertStatements } from "./batch.ts";
import { dropStatement, type PendingExecution, recreateStatement } from "../lib/exec/lifecycle.ts";
import type { Item, JsProjectorSpec } from "./jetstream_projector.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { clearStatements } from "../lib/checks/store.ts";
import { noticeIds } from "../lib/change_feed.ts";

export const decodeAudit = (data: Uint8Array) => AuditEventSchema.parse(parseJsonBytes(data));
type Audit = ReturnType<typeof decodeAudit>;

/** The executions row an `exec` audit event describes, or null for any other event. */
export function execRowOf(a: Audit): PendingExecution | null {
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

/** The dispatch attempt an `exec_aborted` event withdraws, or null for any other event. */
export function abortedExecOf(a: Audit): { exec_id: string; initiated_at: string } | null {
  if (a.action !== "exec_aborted") return null;
  const p = a.payload as Record<string, unknown> | null;
  if (!p || typeof p.exec_id !== "string" || typeof p.initiated_at !== "string") return null;
  try {
    return { exec_id: p.exec_id, initiated_at: dbTs(p.initiated_at) };
  } catch {
    return null; // not a timestamp: nothing we can match
  }
}

/** The clear a `check_clear` audit event records, or null for any other event. */
export function checkClearOf(
  a: Audit,
): { checkName: string; pcId: string | null; clearedAt: string } | null {
  if (a.action !== "check_clear") return null;
  const p = a.payload as Record<string, unknown> | null;
  if (!p || typeof p.check_name !== "string" || !p.check_name) return null;
  if (p.pc_id !== null && p.pc_id !== undefined && typeof p.pc_id !== "string") return null;
  return { checkName: p.check_name, pcId: p.pc_id || null, clearedAt: dbTs(a.occurred_at) };
}

/**
 * An `exec` audit event also (re)creates its `executions` row when the row is missing: on a
 * node with its own read model (`KANADE_PROJECTION_MODE=local`) whose API did not dispatch
 * the exec, and after a wiped DB replays the streams. An `exec_aborted` event (a dispatch
 * that failed after its record was stored) drops that attempt's row again. Both in stream
 * order, through lib/exec/lifecycle.ts. A `check_clear` event applies its clear again
 * (lib/checks/store.ts): idempotent where the API already did, and what a rebuilt database
 * or another node's read model would otherwise miss.
 */
function replayedStatements(items: Item<Audit>[], clearedChecks: string[]) {
  return items.flatMap(({ value }) => {
    const r = execRowOf(value);
    if (r) return [recreateStatement(r)];
    const a = abortedExecOf(value);
    if (a) return [dropStatement(a.exec_id, a.initiated_at)];
    const c = checkClearOf(value);
    if (!c) return [];
    clearedChecks.push(c.checkName);
    return clearStatements(c.checkName, c.pcId, c.clearedAt);
  });
}

/** Writes the batch; returns the names of the checks its `check_clear` events cleared. */
export async function applyAudit(tx: Transaction, items: Item<Audit>[]): Promise<string[]> {
  const stmts = insertStatements(
    "INSERT OR IGNORE INTO audit_log (actor, action, target, payload, occurred_at, stream_seq)",
    items.map(({ value: a, seq }) => [
      a.actor,
      a.action,
      a.target,
      a.payload === null ? null : JSON.stringify(a.payload),
      dbTs(a.occurred_at),
      seq,
    ]),
  );
  const clearedChecks: string[] = [];
  stmts.push(...replayedStatements(items, clearedChecks));
  if (stmts.length) await tx.batch(stmts);
  return clearedChecks;
}

export function auditSpec(durable: string = CONSUMER.audit): JsProjectorSpec<Audit> {
  return {
    name: "audit",
    stream: STREAM.audit,
    durable,
    decode: decodeAudit,
    async apply(tx, items) {
      const cleared = await applyAudit(tx, items);
      return [
        { kind: "audit", count: items.length },
        ...(cleared.length ? [{ kind: "check" as const, check_names: noticeIds(cleared) }] : []),
      ];
    },
  };
}
