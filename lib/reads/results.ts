/**
 * Results read model (backend.md §3.6; seed api/results.rs 0.43.40): listing with RE2
 * regex filters over a bounded scan window, detail, and the live tail.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Db } from "../../db/client.ts";
import { apiTs, WireTimestampSchema } from "../../wire/time.ts";
import { isSubjectToken, subjects } from "../../wire/names.ts";
import { decodeJobTailReply, encodeJobTailRequest } from "../../wire/job_tail.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { notFound } from "../errors.ts";
import { compileRegex, instantParam, limitParam, type Matcher, optText } from "./params.ts";

/** Rows scanned in memory when a regex filter is active (narrow `since` for more). */
export const REGEX_SCAN_CAP = 10_000;
export const TAIL_TIMEOUT_MS = 3_000;

export const ResultsQuerySchema = z.object({
  limit: limitParam(50, 1000),
  pc_id: optText,
  job_id: optText,
  exec_id: optText,
  stdout: optText,
  stderr: optText,
  status: z.enum(["success", "failure", "running"], {
    error: "must be success, failure or running",
  }).optional(),
  since: instantParam.optional(),
});
export type ResultsQuery = z.infer<typeof ResultsQuerySchema>;

const Ts = WireTimestampSchema;

export const ResultRowSchema = z.strictObject({
  result_id: z.string(),
  request_id: z.string(),
  exec_id: z.string().nullable(),
  pc_id: z.string(),
  exit_code: z.number().int().nullable().meta({ description: "null while running" }),
  stdout: z.string(),
  stderr: z.string(),
  started_at: Ts.nullable(),
  finished_at: Ts.nullable().meta({ description: "null while running" }),
  job_id: z.string().nullable(),
  version: z.string().nullable(),
});
export type ResultRow = z.infer<typeof ResultRowSchema>;

const COLUMNS =
  "result_id, request_id, exec_id, pc_id, exit_code, stdout, stderr, started_at, finished_at, job_id, version";

export function toResultRow(r: Record<string, unknown>): ResultRow {
  return {
    result_id: String(r.result_id),
    request_id: String(r.request_id),
    exec_id: (r.exec_id as string | null) ?? null,
    pc_id: String(r.pc_id),
    exit_code: r.exit_code === null || r.exit_code === undefined ? null : Number(r.exit_code),
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    started_at: apiTs(r.started_at),
    finished_at: apiTs(r.finished_at),
    job_id: (r.job_id as string | null) ?? null,
    version: (r.version as string | null) ?? null,
  };
}

const STATUS_SQL = {
  success: "exit_code = 0",
  failure: "exit_code IS NOT NULL AND exit_code <> 0",
  running: "finished_at IS NULL",
} as const;

/**
 * `X-Total-Count` without a full COUNT(*) on every page view: COUNT over a million rows
 * costs more than the page itself. Counts are cached per filter for COUNT_TTL_MS and
 * refreshed in the background when stale (stale-while-revalidate), so only a cold
 * filter pays the count inline. The header may lag the table by a few seconds.
 */
export const COUNT_TTL_MS = 2_000;
const COUNT_CACHE_MAX = 200;
const countCache = new WeakMap<Db, Map<string, { n: number; at: number; refreshing: boolean }>>();

async function cachedCount(db: Db, sql: string, args: (string | number)[]): Promise<number> {
  let cache = countCache.get(db);
  if (!cache) countCache.set(db, cache = new Map());
  const key = `${sql}\u0000${JSON.stringify(args)}`;
  const hit = cache.get(key);
  const now = Date.now();
  const fetch = async () => Number((await db.execute({ sql, args })).rows[0].n);
  if (hit) {
    if (now - hit.at > COUNT_TTL_MS && !hit.refreshing) {
      hit.refreshing = true;
      fetch().then((n) => cache.set(key, { n, at: Date.now(), refreshing: false }))
        .catch(() => (hit.refreshing = false));
    }
    return hit.n;
  }
  const n = await fetch();
  if (cache.size >= COUNT_CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, { n, at: now, refreshing: false });
  return n;
}

/** Rows of execution_results (all, or one status), kept by triggers (fleet_views migration). */
async function keptTotal(db: Db, status?: keyof typeof STATUS_SQL): Promise<number> {
  const col = status === undefined ? "total" : status;
  const rs = await db.execute(`SELECT ${col} AS n FROM result_totals WHERE id = 1`);
  return Number(rs.rows[0]?.n ?? 0);
}

export interface ResultsPage {
  rows: ResultRow[];
  /** Matching rows (with regex filters: matches within the scan window). */
  total: number;
  /** True when a regex scan stopped at REGEX_SCAN_CAP rows. */
  scanCapped: boolean;
}

export async function listResults(db: Db, q: ResultsQuery): Promise<ResultsPage> {
  const filters: [keyof ResultRow, Matcher][] = [];
  for (const k of ["pc_id", "job_id", "exec_id", "stdout", "stderr"] as const) {
    const m = compileRegex(k, q[k]);
    if (m) filters.push([k, m]);
  }
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.status) where.push(STATUS_SQL[q.status]);
  if (q.since) {
    where.push("started_at >= ?");
    args.push(q.since);
  }
  const whereSql = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  const order = " ORDER BY started_at DESC, result_id DESC";

  if (filters.length === 0) {
    const page = await db.execute({
      sql: `SELECT ${COLUMNS} FROM execution_results${whereSql}${order} LIMIT ?`,
      args: [...args, q.limit],
    });
    const rows = page.rows.map((r) => toResultRow(r as Record<string, unknown>));
    // A short page is the whole match set (no offset): its length is the exact count.
    // Without `since`, the count is the one the triggers keep (result_totals: exact, O(1));
    // a `since` window is counted in SQL, cached.
    const total = rows.length < q.limit
      ? rows.length
      : !q.since
      ? await keptTotal(db, q.status)
      : await cachedCount(db, `SELECT COUNT(*) AS n FROM execution_results${whereSql}`, args);
    return { rows, total: Math.max(total, rows.length), scanCapped: false };
  }

  // Regex path: SQL narrows by status/since, then a bounded window is matched in memory.
  // Only the columns a filter needs are read first; winners are hydrated afterwards.
  const needed = new Set<string>(["result_id", ...filters.map(([k]) => k)]);
  const rs = await db.execute({
    sql: `SELECT ${[...needed].join(", ")} FROM execution_results${whereSql}${order} LIMIT ?`,
    args: [...args, REGEX_SCAN_CAP],
  });
  const winners: string[] = [];
  let total = 0;
  for (const r of rs.rows) {
    let ok = true;
    for (const [k, m] of filters) {
      if (!m.test(String(r[k] ?? ""))) { // NULL matches as ""
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    total++;
    if (winners.length < q.limit) winners.push(String(r.result_id));
  }
  let rows: ResultRow[] = [];
  if (winners.length) {
    const full = await db.execute({
      sql: `SELECT ${COLUMNS} FROM execution_results WHERE result_id IN (${
        winners.map(() => "?").join(",")
      })${order}`,
      args: winners,
    });
    rows = full.rows.map((r) => toResultRow(r as Record<string, unknown>));
  }
  return { rows, total, scanCapped: rs.rows.length >= REGEX_SCAN_CAP };
}

export async function getResult(db: Db, resultId: string): Promise<ResultRow> {
  const rs = await db.execute({
    sql: `SELECT ${COLUMNS} FROM execution_results WHERE result_id = ?`,
    args: [resultId],
  });
  if (!rs.rows[0]) throw notFound(`result ${resultId} not found`);
  return toResultRow(rs.rows[0] as Record<string, unknown>);
}

export const TailResponseSchema = z.strictObject({
  running: z.boolean(),
  live: z.boolean().meta({ description: "true when the agent answered (in-flight run)" }),
  stdout: z.string(),
  stderr: z.string(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  exit_code: z.number().int().nullable(),
});
export type TailResponse = z.infer<typeof TailResponseSchema>;

const WAITING: TailResponse = {
  running: true,
  live: false,
  stdout: "",
  stderr: "",
  stdout_truncated: false,
  stderr_truncated: false,
  exit_code: null,
};

/**
 * Finished → the DB row; in flight → ask the agent (`job.tail.<pc_id>`, 3 s, under the
 * SPA's 5 s poll). Timeout, error or not-found degrade to the "waiting" shape.
 */
export async function tailResult(
  deps: Pick<Deps, "db" | "nats" | "log">,
  resultId: string,
  timeoutMs = TAIL_TIMEOUT_MS,
): Promise<TailResponse> {
  const row = await getResult(deps.db, resultId);
  if (row.finished_at !== null) {
    return {
      running: false,
      live: false,
      stdout: row.stdout,
      stderr: row.stderr,
      stdout_truncated: false,
      stderr_truncated: false,
      exit_code: row.exit_code,
    };
  }
  // pc_id came from an agent's message: never let it widen the subject.
  if (!isSubjectToken(row.pc_id)) return { ...WAITING };
  try {
    const reply = await deps.nats.nc.request(
      subjects.jobTail(row.pc_id),
      jsonBytes(encodeJobTailRequest({ result_id: resultId })),
      { timeout: timeoutMs },
    );
    const t = decodeJobTailReply(reply.data);
    if (!t.found) return { ...WAITING };
    return {
      running: t.running,
      live: true,
      stdout: t.stdout,
      stderr: t.stderr,
      stdout_truncated: t.stdout_truncated,
      stderr_truncated: t.stderr_truncated,
      exit_code: null,
    };
  } catch (e) {
    deps.log.debug("tail: no live answer", { result_id: resultId, pc_id: row.pc_id, err: e });
    return { ...WAITING };
  }
}
