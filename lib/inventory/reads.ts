/**
 * Explode search and inventory history reads (backend.md §3.7). The explode spec is
 * read from KV `jobs` on every search (one key, always current: a manifest edited a
 * second ago is searched with its new columns), and its table is ensured first so a
 * never-populated table answers `[]`.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import { badRequest, conflict, notFound, unavailable, UnavailableError } from "../errors.ts";
import { apiTs } from "../../wire/time.ts";
import { BUCKET } from "../../wire/names.ts";
import { openKvOrNull } from "../kv.ts";
import { instantParam, limitParam, offsetParam, optText } from "../reads/params.ts";
import { type ExplodeTableSpec, quoteIdent, readExpr, resolveExplodeSpec } from "./spec.ts";
import { ensureExplodeTables } from "./tables.ts";
import {
  CHANGE_KINDS,
  filtersSql,
  identitySql,
  parseSearchFilters,
  type SqlWhere,
} from "../reads/inventory_query.ts";

const td = new TextDecoder();
const none: SqlWhere = { sql: [], args: [] };

/** The explode spec of `field` in job `manifestId`: 503 without the bucket, 404 / 400. */
export async function explodeSpecOf(
  deps: Pick<Deps, "nats">,
  manifestId: string,
  field: string,
): Promise<ExplodeTableSpec> {
  const kv = await openKvOrNull(deps.nats, BUCKET.jobs);
  if (!kv) throw unavailable(`KV bucket '${BUCKET.jobs}' is not available`);
  let raw: unknown = null;
  try {
    const e = await kv.get(manifestId);
    if (e && e.operation === "PUT" && e.value.length) raw = JSON.parse(td.decode(e.value));
  } catch (e) {
    if (e instanceof UnavailableError) throw e; // the broker, not the job, is missing
    raw = null; // an id that cannot be a KV key, or a value that is not JSON
  }
  const inv = (raw as { inventory?: unknown } | null)?.inventory as
    | { explode?: unknown }
    | null
    | undefined;
  if (!inv || typeof inv !== "object") throw notFound(`no inventory job ${manifestId}`);
  if (!Array.isArray(inv.explode) || inv.explode.length === 0) {
    throw notFound(`job ${manifestId} has no explode specs`);
  }
  const entry = inv.explode.find((s) => (s as { field?: unknown })?.field === field);
  if (!entry) throw notFound(`job ${manifestId} has no explode spec for field '${field}'`);
  const r = resolveExplodeSpec(entry);
  if (!r.ok) throw badRequest(r.error);
  return r.spec;
}

export const SearchQuerySchema = z.object({
  limit: limitParam(1000, 5000),
  offset: offsetParam,
});

export type SearchRow = Record<string, unknown> & { pc_id: string; collected_at: string | null };

const where = (parts: SqlWhere[]) => {
  const sql = parts.flatMap((p) => p.sql);
  return { sql: sql.length ? ` AND ${sql.join(" AND ")}` : "", args: parts.flatMap((p) => p.args) };
};

export async function searchExplode(
  deps: Pick<Deps, "nats" | "db">,
  manifestId: string,
  field: string,
  entries: [string, string][],
  page: z.infer<typeof SearchQuerySchema>,
): Promise<SearchRow[]> {
  const spec = await explodeSpecOf(deps, manifestId, field);
  const w = where([filtersSql(parseSearchFilters(spec, entries))]);
  const usable = await ensureExplodeTables(deps.db, [spec]);
  const err = usable.get(spec.table.toLowerCase());
  if (err) throw conflict(err);
  const cols = spec.columns.map(readExpr);
  const rs = await deps.db.execute({
    sql: `SELECT "pc_id", "collected_at", ${cols.join(", ")} FROM ${quoteIdent(spec.table)}
          WHERE "job_id" = ?${w.sql}
          ORDER BY "pc_id", "collected_at" DESC, ${spec.primaryKey.map(quoteIdent).join(", ")}
          LIMIT ? OFFSET ?`,
    args: [manifestId, ...w.args, page.limit, page.offset],
  });
  return rs.rows.map((r) => {
    const out: SearchRow = { pc_id: String(r.pc_id), collected_at: apiTs(r.collected_at) };
    spec.columns.forEach((c, i) => out[c.name] = r[i + 2] ?? null);
    return out;
  });
}

// ------------------------------------------------------------------ history

export interface HistoryRow {
  id: number;
  pc_id: string;
  job_id: string;
  field_path: string;
  identity_json: string | null;
  change_kind: string;
  before_json: string | null;
  after_json: string | null;
  observed_at: string | null;
}

const HISTORY_COLS =
  "id, pc_id, job_id, field_path, identity_json, change_kind, before_json, after_json, observed_at";

const historyRow = (r: Record<string, unknown>): HistoryRow => ({
  id: Number(r.id),
  pc_id: String(r.pc_id),
  job_id: String(r.job_id),
  field_path: String(r.field_path),
  identity_json: r.identity_json == null ? null : String(r.identity_json),
  change_kind: String(r.change_kind),
  before_json: r.before_json == null ? null : String(r.before_json),
  after_json: r.after_json == null ? null : String(r.after_json),
  observed_at: apiTs(r.observed_at),
});

interface HistoryFilter {
  field?: string;
  kind?: string;
  since?: string;
  until?: string;
}

/** The conditions shared by the history routes (each optional), identity keys last. */
function historyWhere(q: HistoryFilter, identity: [string, string][]) {
  const cond = (v: string | undefined, sql: string): SqlWhere =>
    v === undefined ? none : { sql: [sql], args: [v] };
  return where([
    cond(q.field, "field_path = ?"),
    cond(q.kind, "change_kind = ?"),
    cond(q.since, "observed_at >= ?"),
    cond(q.until, "observed_at <= ?"),
    identitySql(identity),
  ]);
}

export const HistoryPcQuerySchema = z.object({
  field: optText,
  since: instantParam,
  limit: limitParam(500, 5000),
});

export async function historyForPc(
  deps: Pick<Deps, "db">,
  manifestId: string,
  pcId: string,
  q: z.infer<typeof HistoryPcQuerySchema>,
): Promise<HistoryRow[]> {
  const w = historyWhere(q, []);
  const rs = await deps.db.execute({
    sql: `SELECT ${HISTORY_COLS} FROM inventory_history
          WHERE pc_id = ? AND job_id = ?${w.sql}
          ORDER BY observed_at DESC, id DESC LIMIT ?`,
    args: [pcId, manifestId, ...w.args, q.limit],
  });
  return rs.rows.map((r) => historyRow(r as Record<string, unknown>));
}

const kindParam = z.preprocess(
  (v) => (v === "" ? undefined : v),
  z.enum(CHANGE_KINDS, { error: `must be one of ${CHANGE_KINDS.join(", ")}` }).optional(),
);

export const HistorySearchQuerySchema = z.object({
  field: optText,
  kind: kindParam,
  since: instantParam,
  until: instantParam,
  limit: limitParam(500, 5000),
  offset: offsetParam,
});

export async function historySearch(
  deps: Pick<Deps, "db">,
  manifestId: string,
  q: z.infer<typeof HistorySearchQuerySchema>,
  entries: [string, string][],
): Promise<HistoryRow[]> {
  const w = historyWhere(q, entries);
  const rs = await deps.db.execute({
    sql: `SELECT ${HISTORY_COLS} FROM inventory_history WHERE job_id = ?${w.sql}
          ORDER BY observed_at DESC, id DESC LIMIT ? OFFSET ?`,
    args: [manifestId, ...w.args, q.limit, q.offset],
  });
  return rs.rows.map((r) => historyRow(r as Record<string, unknown>));
}

export const FirstSeenQuerySchema = z.object({
  field: optText,
  since: instantParam,
  limit: limitParam(5000, 5000),
  offset: offsetParam,
});

export async function firstSeen(
  deps: Pick<Deps, "db">,
  manifestId: string,
  q: z.infer<typeof FirstSeenQuerySchema>,
  entries: [string, string][],
): Promise<{ pc_id: string; first_seen_at: string | null }[]> {
  const w = historyWhere(q, entries);
  const rs = await deps.db.execute({
    sql: `SELECT pc_id, MIN(observed_at) AS first_seen_at FROM inventory_history
          WHERE job_id = ?${w.sql}
          GROUP BY pc_id ORDER BY first_seen_at, pc_id LIMIT ? OFFSET ?`,
    args: [manifestId, ...w.args, q.limit, q.offset],
  });
  return rs.rows.map((r) => ({ pc_id: String(r.pc_id), first_seen_at: apiTs(r.first_seen_at) }));
}
