/** Audit read model: substring filters (LIKE-escaped), `since`, newest first. */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { apiTs, WireTimestampSchema } from "../../wire/time.ts";
import { instantParam, likeContains, limitParam, optText, parseJsonColumn } from "./params.ts";

export const AuditQuerySchema = z.object({
  limit: limitParam(50, 500),
  actor: optText,
  action: optText,
  target: optText,
  payload: optText,
  since: instantParam.optional(),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditRowSchema = z.strictObject({
  id: z.number().int(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  payload: z.unknown().meta({ description: "the action's JSON payload (never secrets)" }),
  occurred_at: WireTimestampSchema.nullable(),
});
export type AuditRow = z.infer<typeof AuditRowSchema>;

export async function listAudit(
  db: Db,
  q: AuditQuery,
): Promise<{ rows: AuditRow[]; total: number }> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  for (const k of ["actor", "action", "target", "payload"] as const) {
    const v = q[k];
    if (v === undefined) continue;
    where.push(`${k} LIKE ? ESCAPE '\\'`);
    args.push(likeContains(v));
  }
  if (q.since) {
    where.push("occurred_at >= ?");
    args.push(q.since);
  }
  const w = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  const [page, count] = await db.batch([
    {
      sql: `SELECT id, actor, action, target, payload, occurred_at FROM audit_log${w}
            ORDER BY occurred_at DESC, id DESC LIMIT ?`,
      args: [...args, q.limit],
    },
    { sql: `SELECT COUNT(*) AS n FROM audit_log${w}`, args },
  ], "read");
  return {
    rows: page.rows.map((r) => ({
      id: Number(r.id),
      actor: String(r.actor),
      action: String(r.action),
      target: (r.target as string | null) ?? null,
      payload: parseJsonColumn(r.payload),
      occurred_at: apiTs(r.occurred_at),
    })),
    total: Number(count.rows[0].n),
  };
}
