/** Observability timeline read model (backend.md §3.8). */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { apiTs } from "../../wire/time.ts";
import { badRequest } from "../errors.ts";
import { instantParam, limitParam, optText } from "./params.ts";

const csv = optText.transform((v) => v?.split(",").map((s) => s.trim()).filter(Boolean));

export const ObsQuerySchema = z.object({
  pc_id: optText,
  from: instantParam.optional(),
  to: instantParam.optional(),
  kind: optText,
  kinds: csv,
  source: optText,
  sources: csv,
  limit: limitParam(200, 5000),
});
export type ObsQuery = z.infer<typeof ObsQuerySchema>;
export const RecentQuerySchema = z.object({ limit: limitParam(50, 5000) });

export interface ObsRow {
  id: number;
  pc_id: string;
  at: string | null;
  kind: string;
  source: string;
  event_record_id: string | null;
  payload: unknown;
}

function toRows(rows: Record<string, unknown>[]): ObsRow[] {
  const out: ObsRow[] = [];
  for (const r of rows) {
    let payload: unknown = null;
    if (r.payload != null) {
      try {
        payload = JSON.parse(String(r.payload));
      } catch {
        continue; // upstream drops rows whose payload is not JSON
      }
    }
    out.push({
      id: Number(r.id),
      pc_id: String(r.pc_id),
      at: apiTs(r.at),
      kind: String(r.kind),
      source: String(r.source),
      event_record_id: (r.event_record_id as string | null) ?? null,
      payload,
    });
  }
  return out;
}

export async function listObs(db: Db, q: ObsQuery): Promise<{ events: ObsRow[] }> {
  if (q.from && q.to && q.from >= q.to) throw badRequest("'from' must be before 'to'");
  const where: string[] = [];
  const args: (string | number)[] = [];
  const inList = (col: string, vs: string[]) => {
    where.push(`${col} IN (${vs.map(() => "?").join(",")})`);
    args.push(...vs);
  };
  if (q.pc_id) inList("pc_id", [q.pc_id]);
  if (q.from) {
    where.push("at >= ?");
    args.push(q.from);
  }
  if (q.to) {
    where.push("at < ?");
    args.push(q.to);
  }
  const kinds = [...(q.kind ? [q.kind] : []), ...(q.kinds ?? [])];
  if (kinds.length) inList("kind", kinds);
  const sources = [...(q.source ? [q.source] : []), ...(q.sources ?? [])];
  if (sources.length) inList("source", sources);
  const w = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  const rs = await db.execute({
    sql: `SELECT * FROM obs_events${w} ORDER BY at DESC, id DESC LIMIT ?`,
    args: [...args, q.limit],
  });
  return { events: toRows(rs.rows as unknown as Record<string, unknown>[]) };
}

export async function obsKinds(db: Db): Promise<{ kinds: string[] }> {
  const rs = await db.execute("SELECT DISTINCT kind FROM obs_events ORDER BY kind");
  return { kinds: rs.rows.map((r) => String(r.kind)) };
}

export async function recentObs(db: Db, limit: number): Promise<{ events: ObsRow[] }> {
  const rs = await db.execute({
    sql: "SELECT * FROM obs_events ORDER BY at DESC, id DESC LIMIT ?",
    args: [limit],
  });
  return { events: toRows(rs.rows as unknown as Record<string, unknown>[]) };
}
