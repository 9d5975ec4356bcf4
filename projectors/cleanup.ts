/**
 * The background cleanup sweep (backend.md §9), every `cleanupIntervalSecs` with the
 * first sweep shortly after start. Each part logs and continues on error:
 *  - expire stale pending executions (`initiated_at < now − pendingExpirySecs`, strict);
 *  - reap in-flight results whose deadline passed (`expires_at`, else
 *    `started_at + reapAfterSecs`): exit −1, `reaped = 1`, a note appended to stderr,
 *    and the parent execution counts one failure — in the same transaction;
 *  - retention: delete old rows in bounded batches (0 days = keep forever);
 *  - withdraw the stream copies of notifications whose `expires_at` passed (late agents
 *    never replay them; the history keeps them).
 * Every cutoff is bound as canonical DB text (never computed inside SQL, #390).
 */
import type { Deps } from "../lib/deps.ts";
import { type InStatement, inWriteTx, withWriteWait } from "../db/client.ts";
import { type Component, component } from "../lib/component.ts";
import { dbTs } from "../wire/time.ts";
import { chunks } from "./batch.ts";
import { publishChanges } from "../lib/change_feed.ts";
import {
  expirePending as expire,
  prune as pruneExecutions,
  reapStatements,
} from "../lib/exec/lifecycle.ts";
import { withdrawExpired } from "../lib/notifications/withdraw.ts";
import { sweepPackageOrphans } from "../lib/app_packages/store.ts";

const DAY_MS = 86_400_000;
export const RETENTION_BATCH = 10_000;
export const RETENTION_MAX_BATCHES = 10;
export const REAP_BATCH = 1_000;
/** inventory_history has no config knob upstream: 90 days. */
export const INVENTORY_HISTORY_DAYS = 90;

export function reapNote(reapAfterSecs: number, hadDeadline: boolean): string {
  return hadDeadline
    ? "[backend: reaped — no ExecResult before the run's deadline]"
    : `[backend: reaped — no ExecResult within ${Math.round(reapAfterSecs / 3600)}h]`;
}

/** Pure: the new stderr with the note on its own line. */
export function appendNote(stderr: string, note: string): string {
  return stderr === "" ? note : `${stderr}${stderr.endsWith("\n") ? "" : "\n"}${note}`;
}

export interface SweepReport {
  expired: number;
  reaped: number;
  deleted: Record<string, number>;
  /** Notifications whose copies were withdrawn because they expired. */
  notificationsExpired: number;
  /** Chunk sets of app_packages no object names (purged). */
  packageOrphans: number;
}

type Ctx = Pick<Deps, "db" | "config" | "log"> & Partial<Pick<Deps, "nats">>;

export async function expirePending(deps: Ctx, nowMs: number): Promise<number> {
  return await expire(deps.db, dbTs(nowMs - deps.config.pendingExpirySecs * 1000));
}

export async function reapInFlight(deps: Ctx, nowMs: number): Promise<string[]> {
  const now = dbTs(nowMs);
  const fallbackCutoff = dbTs(nowMs - deps.config.reapAfterSecs * 1000);
  const reaped: string[] = [];
  for (let round = 0; round < 100; round++) {
    const batch = await inWriteTx(deps.db, async (tx) => {
      const rs = await tx.execute({
        sql: `SELECT result_id, exec_id, stderr, expires_at FROM execution_results
              WHERE finished_at IS NULL AND reaped = 0
                AND ((expires_at IS NOT NULL AND expires_at < ?)
                  OR (expires_at IS NULL AND started_at < ?))
              LIMIT ?`,
        args: [now, fallbackCutoff, REAP_BATCH],
      });
      if (rs.rows.length === 0) return [];
      const perExec = new Map<string, number>();
      const stmts: InStatement[] = rs.rows.map((r) => {
        const execId = r.exec_id as string | null;
        if (execId) perExec.set(execId, (perExec.get(execId) ?? 0) + 1);
        const note = reapNote(deps.config.reapAfterSecs, r.expires_at != null);
        return {
          sql: `UPDATE execution_results SET finished_at = ?, exit_code = -1, reaped = 1, stderr = ?
                WHERE result_id = ? AND finished_at IS NULL`,
          args: [now, appendNote(String(r.stderr ?? ""), note), r.result_id as string],
        };
      });
      stmts.push(...reapStatements(perExec));
      await tx.batch(stmts);
      return rs.rows.map((r) => String(r.result_id));
    });
    reaped.push(...batch);
    if (batch.length < REAP_BATCH) break;
  }
  return reaped;
}

/** Deletes up to `limit` rows of one table older than `cutoff`; returns how many. */
type Prune = (db: Deps["db"], cutoff: string, limit: number) => Promise<number>;

/** (table, time column, retention days) for the retention part of the sweep. */
export function retentionTargets(
  config: Deps["config"],
): { table: string; column: string; days: number; prune?: Prune }[] {
  const d = config.retentionDays;
  return [
    { table: "execution_results", column: "recorded_at", days: d.results },
    // The executions table has one writer (lib/exec/lifecycle.ts), retention included.
    { table: "executions", column: "initiated_at", days: d.executions, prune: pruneExecutions },
    { table: "audit_log", column: "occurred_at", days: d.audit },
    { table: "obs_events", column: "at", days: d.obs },
    { table: "host_perf_samples", column: "at", days: d.hostPerf },
    { table: "process_perf_samples", column: "at", days: d.processPerf },
    { table: "inventory_history", column: "observed_at", days: INVENTORY_HISTORY_DAYS },
    // Status changes are derived from results: kept as long as the results are.
    { table: "check_transitions", column: "recorded_at", days: d.results },
    // Alert deliveries (lib/alerts/store.ts): their history lives as long as the results.
    { table: "alert_deliveries", column: "created_at", days: d.results },
  ];
}

export async function applyRetention(deps: Ctx, nowMs: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of retentionTargets(deps.config)) {
    if (!(t.days > 0)) continue;
    const cutoff = dbTs(nowMs - t.days * DAY_MS);
    let total = 0;
    for (let i = 0; i < RETENTION_MAX_BATCHES; i++) {
      const n = t.prune ? await t.prune(deps.db, cutoff, RETENTION_BATCH) : (await deps.db.execute({
        sql: `DELETE FROM ${t.table} WHERE rowid IN
                  (SELECT rowid FROM ${t.table} WHERE ${t.column} < ? LIMIT ?)`,
        args: [cutoff, RETENTION_BATCH],
      })).rowsAffected;
      total += n;
      if (n < RETENTION_BATCH) break;
    }
    if (total) out[t.table] = total;
  }
  return out;
}

/** How long the per-minute result counts (fleet health's last 24 h) are kept. */
const RESULT_COUNTS_DAYS = 2;

/** Housekeeping of the per-minute result counts (not retention of data: not reported). */
export async function pruneResultCounts(deps: Ctx, nowMs: number): Promise<void> {
  await deps.db.execute({
    sql: "DELETE FROM result_counts_minute WHERE minute < ?",
    args: [dbTs(nowMs - RESULT_COUNTS_DAYS * DAY_MS).slice(0, 16)],
  });
}

export async function sweep(deps: Ctx, nowMs = Date.now()): Promise<SweepReport> {
  const report: SweepReport = {
    expired: 0,
    reaped: 0,
    deleted: {},
    notificationsExpired: 0,
    packageOrphans: 0,
  };
  const log = deps.log.child({ component: "cleanup" });
  try {
    report.expired = await expirePending(deps, nowMs);
  } catch (e) {
    log.error("expire pending failed", { err: e });
  }
  try {
    const ids = await reapInFlight(deps, nowMs);
    report.reaped = ids.length;
    if (ids.length && deps.nats) {
      publishChanges(deps as Deps, [
        ...chunks(ids, 100).map((part) => ({ kind: "result" as const, result_ids: part })),
      ]);
    }
  } catch (e) {
    log.error("reaper failed", { err: e });
  }
  try {
    report.deleted = await applyRetention(deps, nowMs);
  } catch (e) {
    log.error("retention failed", { err: e });
  }
  try {
    await pruneResultCounts(deps, nowMs);
  } catch (e) {
    log.error("result counts prune failed", { err: e });
  }
  if (deps.nats) {
    try {
      report.notificationsExpired = (await withdrawExpired(deps as Deps, nowMs)).length;
    } catch (e) {
      log.error("notification expiry failed", { err: e });
    }
    try {
      report.packageOrphans = await sweepPackageOrphans(deps as Deps, nowMs);
    } catch (e) {
      log.error("app package orphan sweep failed", { err: e });
    }
  }
  if (
    report.expired || report.reaped || report.notificationsExpired || report.packageOrphans ||
    Object.keys(report.deleted).length
  ) {
    log.info("cleanup sweep", { ...report });
  }
  return report;
}

/**
 * How long one sweep write waits for its turn at the process's write queue. The sweep is
 * background work: it goes after the API's and the projectors' writes and waits for them
 * (a 100,000-agent soak saw retention fail on the API's 3 s budget behind results batches).
 */
export const CLEANUP_WRITE_WAIT_MS = 120_000;

export function startCleanup(
  apiDeps: Deps,
  opts: { firstDelayMs?: number } = {},
): Component {
  const deps = { ...apiDeps, db: withWriteWait(apiDeps.db, CLEANUP_WRITE_WAIT_MS) };
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = sweep(deps).finally(() => {
      if (!stopped) timer = setTimeout(tick, deps.config.cleanupIntervalSecs * 1000);
    });
  };
  timer = setTimeout(tick, opts.firstDelayMs ?? 2_000);
  return component("cleanup", async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running.catch(() => {});
  });
}
