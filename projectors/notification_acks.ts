/**
 * notification-acks projector: EVENTS `events.notifications.acked.>` →
 * `notification_acks`, one row per (notification, PC, user). The body is read, not the
 * subject (an id or SID with a dot cannot shift the columns). Idempotent: the first ack
 * of a user stays, a redelivery or a replay after a consumer reset changes nothing.
 */
import type { Transaction } from "@libsql/client";
import { CONSUMER, STREAM, SUBJECT } from "../wire/names.ts";
import { type NotificationAcked, NotificationAckedSchema } from "../wire/notifications.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { dbTs } from "../wire/time.ts";
import { insertRows } from "./batch.ts";
import { type Item, type JsProjectorSpec, noticeIds } from "./jetstream_projector.ts";

export function decodeAcked(data: Uint8Array): NotificationAcked {
  return NotificationAckedSchema.parse(parseJsonBytes(data));
}

export async function applyAcks(tx: Transaction, items: Item<NotificationAcked>[]) {
  await insertRows(
    tx,
    `INSERT INTO notification_acks
       (notification_id, pc_id, user_sid, acked_at, account, recorded_at)`,
    items.map(({ value: a, recordedAt }) => [
      a.notification_id,
      a.pc_id,
      a.user_sid,
      dbTs(a.acked_at),
      a.account ?? null,
      recordedAt,
    ]),
    "ON CONFLICT(notification_id, pc_id, user_sid) DO NOTHING",
  );
}

export function notificationAcksSpec(
  durable: string = CONSUMER.notificationAcks,
): JsProjectorSpec<NotificationAcked> {
  return {
    name: "notification_acks",
    stream: STREAM.events,
    durable,
    filter: SUBJECT.notificationsAckedFilter,
    decode: decodeAcked,
    async apply(tx, items) {
      await applyAcks(tx, items);
      return [{
        kind: "notification",
        ids: noticeIds(items.map((i) => i.value.notification_id)),
        acks: items.length,
      }];
    },
  };
}
