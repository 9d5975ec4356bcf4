/**
 * Inventory read model (backend.md §3.7), the one module behind every `/api/inventory/*`
 * route: the inventory-capable jobs from KV `jobs` (read tolerantly), facts per PC and per
 * job, explode search and the change history. The explode spec is read from KV `jobs` on
 * every search (one key, always current: a manifest edited a second ago is searched with its
 * new columns), and its table is ensured first so a never-populated table answers `[]`.
 * One module on purpose (a little over 350 lines): one owner of the inventory reads; the pure
 * filter SQL is `inventory_query.ts`.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Db } from "../../db/client.ts";
import { apiTs } from "../../wire/time.ts";
import { BUCKET } from "../../wire/names.ts";
import { badRequest, conflict, notFound, unavailable, UnavailableError } from "../errors.ts";
import { kvScan, openKv, openKvOrNull } from "../kv.ts";
import { instantParam, limitParam, offsetParam, optText, parseJsonColumn } from "./params.ts";
import {
  type ExplodeTableSpec,
  inventorySpecs,
  quoteIdent,
  readExpr,
  resolveExplodeSpec,
} from "../inventory/spec.ts";
import { ensureExplodeTables } from "../inventory/tables.ts";
import {
  CHANGE_KINDS,
  filtersSql,
  identitySql,
  parseSearchFilters,
  type SqlWhere,
} from "./inventory_query.ts";

const td = new TextDecoder();

export interface InventoryJob {
  manifest_id: string;
  description: string | null;
  display: unknown;
  summary: unknown;
  explode: unknown;
  /** Not in upstream's row: the fields whose changes are kept, for the history pickers. */
  history_scalars: string[];
  pc_count: number;
}

interface HintedManifest {
  id: string;
  description: string | null;
  inventory: Record<string, unknown>;
}

/** Pure, tolerant: the inventory hint of one `jobs` value, or null. */
export function inventoryHintOf(key: string, raw: unknown): HintedManifest | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const m = raw as Record<string, unknown>;
  const inv = m.inventory;
  if (!inv || typeof inv !== "object" || Array.isArray(inv)) return null;
  return {
    id: typeof m.id === "string" && m.id ? m.id : key,
    description: typeof m.description === "string" ? m.description : null,
    inventory: inv as Record<string, unknown>,
  };
}

async function hintedManifests(deps: Pick<Deps, "nats">): Promise<HintedManifest[]> {
  const out: HintedManifest[] = [];
  for (const e of await kvScan(await openKv(deps.nats, BUCKET.jobs))) {
    if (e.value.length === 0) continue;
    try {
      const h = inventoryHintOf(e.key, JSON.parse(td.decode(e.value)));
      if (h) out.push(h);
    } catch { /* not JSON: not a manifest we can read */ }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export async function inventoryJobs(deps: Pick<Deps, "nats" | "db">): Promise<InventoryJob[]> {
  const jobs = await hintedManifests(deps);
  const counts = await deps.db.execute(
    "SELECT job_id, COUNT(*) AS n FROM inventory_facts GROUP BY job_id",
  );
  const byJob = new Map(counts.rows.map((r) => [String(r.job_id), Number(r.n)]));
  return jobs.map((j) => ({
    manifest_id: j.id,
    description: j.description,
    display: j.inventory.display ?? [],
    summary: j.inventory.summary ?? null,
    explode: j.inventory.explode ?? null,
    history_scalars: inventorySpecs(j.inventory).historyScalars,
    pc_count: byJob.get(j.id) ?? 0,
  }));
}

export async function inventoryForPc(db: Db, pcId: string) {
  const rs = await db.execute({
    sql: `SELECT job_id, facts_json, display_json, summary_json, collected_at, recorded_at
          FROM inventory_facts WHERE pc_id = ? ORDER BY job_id`,
    args: [pcId],
  });
  return rs.rows.map((r) => ({
    job_id: String(r.job_id),
    facts: parseJsonColumn(r.facts_json),
    display: parseJsonColumn(r.display_json) ?? [],
    summary: parseJsonColumn(r.summary_json),
    collected_at: apiTs(r.collected_at),
    recorded_at: apiTs(r.recorded_at),
  }));
}

export const ByJobQuerySchema = z.object({
  limit: limitParam(1000, 5000),
  offset: offsetParam,
});

export async function inventoryByJob(
  deps: Pick<Deps, "db" | "nats">,
  manifestId: string,
  q: z.infer<typeof ByJobQuerySchema>,
) {
  const [page, count] = await deps.db.batch([
    {
      sql: `SELECT pc_id, facts_json, display_json, summary_json, collected_at FROM inventory_facts
            WHERE job_id = ? ORDER BY pc_id LIMIT ? OFFSET ?`,
      args: [manifestId, q.limit, q.offset],
    },
    { sql: "SELECT COUNT(*) AS n FROM inventory_facts WHERE job_id = ?", args: [manifestId] },
  ], "read");
  const total = Number(count.rows[0].n);
  let display: unknown = null;
  let summary: unknown = null;
  for (const r of page.rows) { // hints from the first row that has them
    if (display === null && r.display_json != null) display = parseJsonColumn(r.display_json);
    if (summary === null && r.summary_json != null) summary = parseJsonColumn(r.summary_json);
  }
  if (total === 0 || display === null) {
    // No facts (yet): the catalog decides between "empty" and "unknown job".
    const m = await hintedManifests(deps).catch(() => []);
    const hit = m.find((x) => x.id === manifestId);
    if (!hit && total === 0) throw notFound(`no inventory job ${manifestId}`);
    if (hit) {
      display ??= hit.inventory.display ?? [];
      summary ??= hit.inventory.summary ?? null;
    }
  }
  return {
    manifest_id: manifestId,
    display: display ?? [],
    summary,
    total,
    limit: q.limit,
    offset: q.offset,
    rows: page.rows.map((r) => ({
      pc_id: String(r.pc_id),
      facts: parseJsonColumn(r.facts_json),
      collected_at: apiTs(r.collected_at),
    })),
  };
}

// ------------------------------------------------------------------ explode search

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
