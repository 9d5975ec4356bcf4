/**
 * Notification read model: the history (newest first, paged), one notification with its
 * acks and per-PC roster, and upstream's `ack_status`. Reads `notifications` and
 * `notification_acks` (written only by their projectors).
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Db } from "../../db/client.ts";
import { rowsOf } from "../../db/client.ts";
import { notFound } from "../errors.ts";
import { apiTs } from "../../wire/time.ts";
import { encodeNotification, type Target } from "../../wire/notifications.ts";
import { likeContains, limitParam, offsetParam, optText } from "./params.ts";
import { resolveAlivePcs } from "../exec/targets.ts";
import { type AckEntry, assembleRoster, notificationStatus } from "../notifications/plan.ts";

const TargetOut = z.object({
  all: z.boolean(),
  groups: z.array(z.string()),
  pcs: z.array(z.string()),
});
/** Upstream's Notification body as the API shows it (absent optionals omitted). */
export const NotificationOutSchema = z.object({
  id: z.string(),
  priority: z.string(),
  require_ack: z.boolean(),
  title: z.string(),
  body: z.string(),
  toast: z.boolean(),
  issued_at: z.string(),
  issued_by: z.string().optional(),
  expires_at: z.string().optional(),
});
const StatusOut = z.enum(["active", "expired", "recalled"]);
export const NotificationRowSchema = NotificationOutSchema.extend({
  target: TargetOut,
  subjects: z.array(z.string()),
  status: StatusOut,
  withdrawn_at: z.string().nullable(),
  withdraw_reason: z.string().nullable(),
  acked_pcs: z.number().int().nonnegative(),
});
export const AckEntrySchema = z.object({
  pc_id: z.string(),
  user_sid: z.string(),
  acked_at: z.string(),
  account: z.string().optional(),
});
export const AckStatusSchema = z.object({ id: z.string(), acks: z.array(AckEntrySchema) });
export const NotificationDetailSchema = z.object({
  notification: NotificationOutSchema,
  acks: z.array(AckEntrySchema),
  audience: z.array(
    z.object({ pc_id: z.string(), confirmed: z.boolean(), acked_at: z.string().optional() }),
  ),
  target: TargetOut,
  subjects: z.array(z.string()),
  failed_subjects: z.array(z.string()),
  sent_by: z.string().nullable(),
  status: StatusOut,
  withdrawn_at: z.string().nullable(),
  withdraw_reason: z.string().nullable(),
  withdrawn_by: z.string().nullable(),
  progress: z.object({ acked: z.number().int(), audience: z.number().int() }),
});

export const NotificationQuerySchema = z.object({
  limit: limitParam(50, 500),
  offset: offsetParam,
  /** Substring of the title or body. */
  q: optText,
});
export type NotificationQuery = z.infer<typeof NotificationQuerySchema>;

type Row = Record<string, unknown>;

const COLS = `id, priority, require_ack, title, body, toast, issued_at, issued_by, expires_at,
  target, subjects, failed_subjects, sent_by, withdrawn_at, withdraw_reason, withdrawn_by`;

function notificationOf(r: Row) {
  return encodeNotification({
    id: String(r.id),
    priority: String(r.priority),
    require_ack: Number(r.require_ack) === 1,
    title: String(r.title),
    body: String(r.body),
    toast: Number(r.toast) === 1,
    issued_at: apiTs(r.issued_at)!,
    issued_by: (r.issued_by as string | null) ?? null,
    expires_at: apiTs(r.expires_at),
  });
}

function summaryOf(r: Row, nowMs: number) {
  const expires = apiTs(r.expires_at);
  const reason = (r.withdraw_reason as string | null) ?? null;
  return {
    ...notificationOf(r),
    target: JSON.parse(String(r.target)) as Target,
    subjects: JSON.parse(String(r.subjects)) as string[],
    status: notificationStatus({ expires_at: expires, withdraw_reason: reason }, nowMs),
    withdrawn_at: apiTs(r.withdrawn_at),
    withdraw_reason: reason,
  };
}

export async function listNotifications(db: Db, q: NotificationQuery, nowMs = Date.now()) {
  const where = q.q ? " WHERE (title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')" : "";
  const args = q.q ? [likeContains(q.q), likeContains(q.q)] : [];
  const [page, count] = await db.batch([
    {
      sql: `SELECT ${COLS},
              (SELECT COUNT(DISTINCT pc_id) FROM notification_acks a
                WHERE a.notification_id = n.id) AS acked_pcs
            FROM notifications n${where} ORDER BY issued_at DESC, id LIMIT ? OFFSET ?`,
      args: [...args, q.limit, q.offset],
    },
    { sql: `SELECT COUNT(*) AS n FROM notifications${where}`, args },
  ], "read");
  return {
    rows: page.rows.map((r) => ({
      ...summaryOf(r as Row, nowMs),
      acked_pcs: Number((r as Row).acked_pcs),
    })),
    total: Number(count.rows[0].n),
  };
}

export async function fetchAcks(db: Db, id: string): Promise<AckEntry[]> {
  const rs = await db.execute({
    sql: `SELECT pc_id, user_sid, acked_at, account FROM notification_acks
          WHERE notification_id = ? ORDER BY acked_at, pc_id, user_sid`,
    args: [id],
  });
  return rowsOf<Row>(rs).map((r) => {
    const e: AckEntry = {
      pc_id: String(r.pc_id),
      user_sid: String(r.user_sid),
      acked_at: apiTs(r.acked_at)!,
    };
    if (r.account != null) e.account = String(r.account);
    return e;
  });
}

/** `GET /api/notifications/{id}/ack_status`: an empty list is not a 404 (upstream). */
export async function ackStatus(db: Db, id: string) {
  return { id, acks: await fetchAcks(db, id) };
}

/**
 * `GET /api/notifications/{id}`: `{notification, acks, audience, target}` (upstream) plus
 * the delivery facts and the progress (PCs confirmed / PCs in the audience).
 */
export async function notificationDetail(deps: Deps, id: string, nowMs = Date.now()) {
  const rs = await deps.db.execute({
    sql: `SELECT ${COLS} FROM notifications WHERE id = ?`,
    args: [id],
  });
  const row = rowsOf<Row>(rs)[0];
  if (!row) throw notFound(`notification ${id} not found`);
  const summary = summaryOf(row, nowMs);
  const acks = await fetchAcks(deps.db, id);
  const resolved = await resolveAlivePcs(deps, summary.target, { now: nowMs });
  const audience = assembleRoster(resolved, acks);
  const { target, subjects, status, withdrawn_at, withdraw_reason } = summary;
  return {
    notification: notificationOf(row),
    acks,
    audience,
    target,
    subjects,
    failed_subjects: JSON.parse(String(row.failed_subjects)) as string[],
    sent_by: (row.sent_by as string | null) ?? null,
    status,
    withdrawn_at,
    withdraw_reason,
    withdrawn_by: (row.withdrawn_by as string | null) ?? null,
    progress: {
      acked: audience.filter((a) => a.confirmed).length,
      audience: audience.length,
    },
  };
}
