/**
 * Compliance read model (later.md §2, the #497 shape the SPA reads): complete per-check
 * counts and the rows that need attention. A row older than `KANADE_CHECK_STALE_DAYS` is
 * `stale`: it is counted apart (in `stale`, not in its status) and always listed, so a PC
 * that stopped reporting is never shown as passing.
 */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { apiTs, dbTs } from "../../wire/time.ts";
import { boolParam, limitParam, optText } from "./params.ts";

export const ChecksQuerySchema = z.object({
  /** One check (trimmed; empty = all). */
  check: optText.transform((v) => v?.trim() || undefined),
  /** Narrow rows and counts to one PC (the agent page). */
  pc_id: optText,
  include_ok: boolParam(false),
  include_stale: boolParam(true),
  limit: limitParam(10_000, 100_000),
});
export type ChecksQuery = z.infer<typeof ChecksQuerySchema>;

const count = z.number().int().nonnegative();

export const CheckCountsSchema = z.object({
  check_name: z.string(),
  /** The check's display title (`check.label`); null = show the name. */
  label: z.string().nullable(),
  ok: count,
  warn: count,
  fail: count,
  unknown: count,
  /** Rows older than `stale_days`, whatever their status (not counted in it). */
  stale: count,
});

export const CheckStatusRowSchema = z.object({
  pc_id: z.string(),
  check_name: z.string(),
  label: z.string().nullable(),
  status: z.string(),
  detail: z.string().nullable(),
  recorded_at: z.string().nullable(),
  stale: z.boolean(),
});

export const ChecksViewSchema = z.object({
  counts: z.array(CheckCountsSchema),
  rows: z.array(CheckStatusRowSchema),
  /** The stale threshold in days (0 = off). */
  stale_days: z.number().int(),
  /** More rows matched than `limit` allowed. */
  truncated: z.boolean(),
});
export type ChecksView = z.infer<typeof ChecksViewSchema>;

export const TransitionsQuerySchema = z.object({
  pc_id: optText,
  check: optText,
  limit: limitParam(200, 5000),
});

export const CheckTransitionSchema = z.object({
  pc_id: z.string(),
  check_name: z.string(),
  label: z.string().nullable(),
  from_status: z.string().nullable(),
  to_status: z.string(),
  detail: z.string().nullable(),
  recorded_at: z.string().nullable(),
});
export const TransitionsViewSchema = z.object({ transitions: z.array(CheckTransitionSchema) });

/** The canonical DB time before which a row is stale; "" (nothing is older) when off. */
export function staleCutoff(staleDays: number, nowMs: number): string {
  return staleDays > 0 ? dbTs(nowMs - staleDays * 86_400_000) : "";
}

export async function listChecks(
  db: Db,
  q: ChecksQuery,
  opts: { staleDays: number; nowMs?: number },
): Promise<ChecksView> {
  const cut = staleCutoff(opts.staleDays, opts.nowMs ?? Date.now());
  const where = ["(?1 IS NULL OR check_name = ?1)", "(?2 IS NULL OR pc_id = ?2)"];
  const args = [q.check ?? null, q.pc_id ?? null, cut];
  const counts = await db.execute({
    sql: `SELECT check_name, MAX(label) AS label,
            SUM(recorded_at >= ?3 AND status = 'ok') AS ok,
            SUM(recorded_at >= ?3 AND status = 'warn') AS warn,
            SUM(recorded_at >= ?3 AND status = 'fail') AS fail,
            SUM(recorded_at >= ?3 AND status NOT IN ('ok', 'warn', 'fail')) AS unknown,
            SUM(recorded_at < ?3) AS stale
          FROM check_status WHERE ${where.join(" AND ")}
          GROUP BY check_name ORDER BY check_name`,
    args,
  });
  const rows = await db.execute({
    sql: `SELECT pc_id, check_name, label, status, detail, recorded_at,
            recorded_at < ?3 AS stale
          FROM check_status WHERE ${where.join(" AND ")}
            AND (?4 OR status != 'ok' OR recorded_at < ?3)
            AND (?5 OR recorded_at >= ?3)
          ORDER BY check_name, pc_id LIMIT ?6`,
    args: [...args, q.include_ok ? 1 : 0, q.include_stale ? 1 : 0, q.limit + 1],
  });
  const list = rows.rows.slice(0, q.limit).map((r) => ({
    pc_id: String(r.pc_id),
    check_name: String(r.check_name),
    label: (r.label as string | null) ?? null,
    status: String(r.status),
    detail: (r.detail as string | null) ?? null,
    recorded_at: apiTs(r.recorded_at),
    stale: Number(r.stale) === 1,
  }));
  return {
    counts: counts.rows.map((r) => ({
      check_name: String(r.check_name),
      label: (r.label as string | null) ?? null,
      ok: Number(r.ok),
      warn: Number(r.warn),
      fail: Number(r.fail),
      unknown: Number(r.unknown),
      stale: Number(r.stale),
    })),
    rows: list,
    stale_days: opts.staleDays,
    truncated: rows.rows.length > q.limit,
  };
}

/** The status changes of one PC's checks (or one check), newest first. */
export async function listTransitions(
  db: Db,
  q: z.infer<typeof TransitionsQuerySchema>,
): Promise<z.infer<typeof TransitionsViewSchema>> {
  const rs = await db.execute({
    sql: `SELECT pc_id, check_name, label, from_status, to_status, detail, recorded_at
          FROM check_transitions
          WHERE (?1 IS NULL OR pc_id = ?1) AND (?2 IS NULL OR check_name = ?2)
          ORDER BY recorded_at DESC, id DESC LIMIT ?3`,
    args: [q.pc_id ?? null, q.check ?? null, q.limit],
  });
  return {
    transitions: rs.rows.map((r) => ({
      pc_id: String(r.pc_id),
      check_name: String(r.check_name),
      label: (r.label as string | null) ?? null,
      from_status: (r.from_status as string | null) ?? null,
      to_status: String(r.to_status),
      detail: (r.detail as string | null) ?? null,
      recorded_at: apiTs(r.recorded_at),
    })),
  };
}
