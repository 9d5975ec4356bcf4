/**
 * End-user notifications on the wire (later upstream, later.md §5): the Notification body
 * the backend fans out to `notifications.{all|group.<g>|pc.<pc>}`, the ack event agents
 * publish to `events.notifications.acked.<pc>.<sid>.<id>`, the recall amend on
 * `notif-amend`, and this project's own sent-ledger records (`notifications.ledger.*`).
 */
import { z } from "zod";
import { isRfc3339, wireTs } from "./time.ts";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { type Target, TargetSchema } from "./fanout.ts";

export const PRIORITIES = ["info", "warn", "emergency"] as const;
export const PrioritySchema = z.enum(PRIORITIES, {
  error: "priority must be one of info, warn, emergency",
});
export type Priority = z.infer<typeof PrioritySchema>;

const instant = z.string().refine(isRfc3339, "must be an RFC 3339 timestamp");

/**
 * A notification id becomes the last token(s) of the ack and ledger subjects: the agent's
 * own rule (`[A-Za-z0-9_.-]`), without empty tokens (no leading, trailing or double dot).
 */
export const NOTIFICATION_ID_RE = /^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,128}$/;

export const NotificationSchema = z.object({
  id: z.string(),
  priority: z.string(),
  require_ack: z.boolean().default(false),
  title: z.string(),
  body: z.string(),
  toast: z.boolean().default(false),
  issued_at: instant,
  issued_by: z.string().nullish(),
  expires_at: instant.nullish(),
});
export type Notification = z.infer<typeof NotificationSchema>;

/** Upstream's field order; absent optionals are omitted, as serde's skip_serializing_if. */
const NOTIFICATION_FIELDS: readonly FieldSpec[] = [
  ["id", "req"],
  ["priority", "req"],
  ["require_ack", "req"],
  ["title", "req"],
  ["body", "req"],
  ["toast", "req"],
  ["issued_at", "req", (v) => wireTs(v as string)],
  ["issued_by", "omit"],
  ["expires_at", "omit", (v) => wireTs(v as string)],
];

export function encodeNotification(n: Notification): Record<string, unknown> {
  return encodeOrdered(NOTIFICATION_FIELDS, n as unknown as Record<string, unknown>);
}

/** `POST /api/notifications` body (upstream's PublishNotificationRequest). */
export const PublishNotificationSchema = z.object({
  id: z.string().max(1024).nullish(),
  priority: PrioritySchema,
  require_ack: z.boolean().default(false),
  title: z.string().max(1024),
  body: z.string().max(64 * 1024),
  toast: z.boolean().default(false),
  issued_by: z.string().max(256).nullish(),
  expires_at: instant.nullish(),
  target: TargetSchema,
});
export type PublishNotification = z.infer<typeof PublishNotificationSchema>;

/** Body of `events.notifications.acked.<pc>.<sid>.<id>`; the body, not the subject, is read. */
export const NotificationAckedSchema = z.object({
  notification_id: z.string().min(1),
  pc_id: z.string().min(1),
  user_sid: z.string().min(1),
  acked_at: instant,
  account: z.string().nullish(),
});
export type NotificationAcked = z.infer<typeof NotificationAckedSchema>;

/** Upstream's NotificationAmend on `notif-amend`: `{"id": "...", "op": {"kind": "recall"}}`. */
export function recallAmend(id: string): Record<string, unknown> {
  return { id, op: { kind: "recall" } };
}

/** One fan-out copy: where it went and its NOTIFICATIONS stream sequence (to withdraw it). */
export const CopySchema = z.object({ subject: z.string(), seq: z.number().int().positive() });
export type Copy = z.infer<typeof CopySchema>;

/**
 * `notifications.ledger.sent.<id>`: the notification as sent, its target, and every
 * delivered copy. The fan-out copies can be withdrawn (recall, expiry) while this stays,
 * so the history survives and a wiped database rebuilds it from the stream.
 */
export const LedgerSentSchema = z.object({
  kind: z.literal("sent"),
  notification: NotificationSchema,
  target: TargetSchema,
  copies: z.array(CopySchema),
  failed_subjects: z.array(z.string()).default([]),
  sent_by: z.string().nullish(),
});
export type LedgerSent = z.infer<typeof LedgerSentSchema>;

export const WITHDRAW_REASONS = ["recalled", "expired"] as const;

/** `notifications.ledger.withdrawn.<id>`: the fan-out copies were deleted from the stream. */
export const LedgerWithdrawnSchema = z.object({
  kind: z.literal("withdrawn"),
  id: z.string(),
  reason: z.enum(WITHDRAW_REASONS),
  withdrawn_at: instant,
  withdrawn_by: z.string().nullish(),
});
export type LedgerWithdrawn = z.infer<typeof LedgerWithdrawnSchema>;

export const LedgerRecordSchema = z.discriminatedUnion("kind", [
  LedgerSentSchema,
  LedgerWithdrawnSchema,
]);
export type LedgerRecord = z.infer<typeof LedgerRecordSchema>;

export type { Target };
