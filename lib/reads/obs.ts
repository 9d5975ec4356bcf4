/** Observability timeline read model (backend.md §3.8). */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { apiTs, WireTimestampSchema } from "../../wire/time.ts";
import { badRequest } from "../errors.ts";
import { csvParam, instantParam, limitParam, optText } from "./params.ts";

/** `payload_key` is spliced into a JSON path: identifier characters only (#391). */
const payloadKey = optText.transform((v) => v?.trim() || undefined).refine(
  (v) => v === undefined || /^[A-Za-z0-9_]+$/.test(v),
  "must match [A-Za-z0-9_]+",
);

const integerParam = optText.refine(
  (v) => v === undefined || /^[+-]?\d{1,18}$/.test(v.trim()),
  "must be an integer",
).transform((v) => v === undefined ? undefined : Number(v.trim()));

export const ObsQuerySchema = z.object({
  pc_id: optText,
  from: instantParam.optional(),
  to: instantParam.optional(),
  kind: optText,
  source: optText,
  /** Matched against `payload.logon_type` (#366). */
  logon_type: integerParam,
  kinds: csvParam,
  kinds_ex: csvParam,
  sources: csvParam,
  sources_ex: csvParam,
  payload_key: payloadKey,
  payload_value: optText,
  limit: limitParam(200, 5000),
});
export type ObsQuery = z.infer<typeof ObsQuerySchema>;
export const RecentQuerySchema = z.object({ limit: limitParam(50, 5000) });

/** A decimal number as the payload filter's numeric twin (`payload_value=2` matches 2). */
export function numericTwin(v: string): number | null {
  const t = v.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export const ObsRowSchema = z.strictObject({
  id: z.number().int(),
  pc_id: z.string(),
  at: WireTimestampSchema.nullable(),
  kind: z.string(),
  source: z.string(),
  event_record_id: z.string().nullable(),
  payload: z.unknown().meta({ description: "the event's JSON payload" }),
});
export type ObsRow = z.infer<typeof ObsRowSchema>;
export const ObsEventsSchema = z.strictObject({ events: z.array(ObsRowSchema) });
export const ObsKindsSchema = z.strictObject({ kinds: z.array(z.string()) });
export const ObsSourcesSchema = z.strictObject({ sources: z.array(z.string()) });

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

/**
 * Every filter ANDs (upstream's composition): the single-value `kind`/`source` and the
 * include lists narrow together, the `_ex` lists exclude, and the payload pair applies
 * only when both halves are given.
 */
export async function listObs(db: Db, q: ObsQuery): Promise<{ events: ObsRow[] }> {
  if (q.from && q.to && q.from >= q.to) throw badRequest("'from' must be before 'to'");
  const where: string[] = [];
  const args: (string | number)[] = [];
  const cond = (sql: string, ...vs: (string | number)[]) => {
    where.push(sql);
    args.push(...vs);
  };
  const list = (col: string, vs: string[] | undefined, not = false) => {
    if (vs?.length) {
      cond(`${col} ${not ? "NOT IN" : "IN"} (SELECT value FROM json_each(?))`, JSON.stringify(vs));
    }
  };
  if (q.pc_id) cond("pc_id = ?", q.pc_id);
  if (q.from) cond("at >= ?", q.from);
  if (q.to) cond("at < ?", q.to);
  if (q.kind) cond("kind = ?", q.kind);
  if (q.source) cond("source = ?", q.source);
  if (q.logon_type !== undefined) cond("json_extract(payload, '$.logon_type') = ?", q.logon_type);
  list("kind", q.kinds);
  list("kind", q.kinds_ex, true);
  list("source", q.sources);
  list("source", q.sources_ex, true);
  if (q.payload_key && q.payload_value !== undefined) {
    const path = `$.${q.payload_key}`;
    const n = numericTwin(q.payload_value);
    cond(
      n === null
        ? "json_extract(payload, ?) = ?"
        : "(json_extract(payload, ?) = ? OR json_extract(payload, ?) = ?)",
      ...(n === null ? [path, q.payload_value] : [path, q.payload_value, path, n]),
    );
  }
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

export async function obsSources(db: Db): Promise<{ sources: string[] }> {
  const rs = await db.execute("SELECT DISTINCT source FROM obs_events ORDER BY source");
  return { sources: rs.rows.map((r) => String(r.source)) };
}

export async function recentObs(db: Db, limit: number): Promise<{ events: ObsRow[] }> {
  const rs = await db.execute({
    sql: "SELECT * FROM obs_events ORDER BY at DESC, id DESC LIMIT ?",
    args: [limit],
  });
  return { events: toRows(rs.rows as unknown as Record<string, unknown>[]) };
}
