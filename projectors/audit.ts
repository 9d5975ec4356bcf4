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
