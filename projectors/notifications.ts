/**
 * notifications projector: the sent-ledger subjects of stream NOTIFICATIONS
 * (`notifications.ledger.>`) → `notifications`. A `sent` record creates the row (a replay
 * never changes it); a `withdrawn` record marks it recalled or expired, the first one
 * wins. The fan-out copies agents read are not projected: they may be withdrawn, the
 * ledger stays, so a wiped database rebuilds the whole history.
 */
import type { Transaction } from "@libsql/client";
import { CONSUMER, STREAM, SUBJECT } from "../wire/names.ts";
import { type LedgerRecord, LedgerRecordSchema } from "../wire/notifications.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { dbTs } from "../wire/time.ts";
import { type Item, type JsProjectorSpec, noticeIds } from "./jetstream_projector.ts";

export function decodeLedger(data: Uint8Array): LedgerRecord {
  return LedgerRecordSchema.parse(parseJsonBytes(data));
}

export async function applyLedger(tx: Transaction, items: Item<LedgerRecord>[]): Promise<void> {
  const stmts = items.map(({ value: r, recordedAt }) => {
    if (r.kind === "sent") {
      const n = r.notification;
      return {
        sql: `INSERT INTO notifications (id, priority, require_ack, title, body, toast, issued_at,
                issued_by, expires_at, target, subjects, copies, failed_subjects, sent_by,
                recorded_at)
              VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING`,
        args: [
          n.id,
          n.priority,
          n.require_ack ? 1 : 0,
          n.title,
          n.body,
          n.toast ? 1 : 0,
          dbTs(n.issued_at),
          n.issued_by ?? null,
          n.expires_at ? dbTs(n.expires_at) : null,
          JSON.stringify(r.target),
          JSON.stringify(r.copies.map((c) => c.subject)),
          JSON.stringify(r.copies),
          JSON.stringify(r.failed_subjects),
          r.sent_by ?? null,
          recordedAt,
        ],
      };
    }
    return {
      sql: `UPDATE notifications SET withdrawn_at = ?, withdraw_reason = ?, withdrawn_by = ?
            WHERE id = ? AND withdrawn_at IS NULL`,
      args: [dbTs(r.withdrawn_at), r.reason, r.withdrawn_by ?? null, r.id],
    };
  });
  if (stmts.length) await tx.batch(stmts);
}

const idOf = (r: LedgerRecord) => r.kind === "sent" ? r.notification.id : r.id;

export function notificationsSpec(
  durable: string = CONSUMER.notifications,
): JsProjectorSpec<LedgerRecord> {
  return {
    name: "notifications",
    stream: STREAM.notifications,
    durable,
    filter: SUBJECT.notificationsLedgerFilter,
    decode: decodeLedger,
    async apply(tx, items) {
      await applyLedger(tx, items);
      return [{
        kind: "notification",
        ids: noticeIds(items.map((i) => idOf(i.value))),
      }];
    },
  };
}
