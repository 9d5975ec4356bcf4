/**
 * events projector: `events.started.>` → in-flight `execution_results` rows (exit and
 * finish NULL) and the parent execution turns `running`. A start that arrives after its
 * result never touches the lifecycle columns; it only fills metadata the result could
 * not carry, so live order and a replay in any order give one row. A run already finished
 * with all of that metadata is skipped (its expiry only matters in flight); with
 * `ResultsProgress` the starts of a burst wait for its results to make that the usual case.
 */
import type { Transaction } from "@libsql/client";
import { z } from "zod";
import { EventStartedSchema } from "../wire/messages.ts";
import { CONSUMER, STREAM, SUBJECT } from "../wire/names.ts";
import { epochMs } from "../wire/time.ts";
import { fastDbTs, fastInstantDb } from "./fast_ts.ts";
import { insertStatements } from "./batch.ts";
import { markRunningStatements } from "../lib/exec/lifecycle.ts";
import { type ChangeNotice, type JsProjectorSpec, noticeIds } from "./jetstream_projector.ts";
import type { ManifestCache } from "./manifest_cache.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import type { ResultsProgress } from "./results_progress.ts";

/** Grace after the manifest timeout before an unanswered run may be reaped. */
export const EXPIRY_SLACK_SECS = 600;

export interface StartedRow {
  result_id: string;
  request_id: string;
  exec_id: string;
  pc_id: string;
  started_at: string;
  recorded_at: string;
  job_id: string;
  version: string;
  expires_at: string | null;
}

const COLS = [
  "result_id",
  "request_id",
  "exec_id",
  "pc_id",
  "started_at",
  "recorded_at",
  "job_id",
  "version",
  "expires_at",
] as const;

// `started_at` is checked by fastDbTs (one parse that also renders it) instead of the
// schema's refine, which parsed it once more (100,000 start events per exec to all at 100k).
const StartedWireSchema = EventStartedSchema.extend({ started_at: z.string() });

/** A start event, its `started_at` already as canonical DB text. */
export function decodeStarted(data: Uint8Array) {
  const e = StartedWireSchema.parse(parseJsonBytes(data));
  e.started_at = fastDbTs(e.started_at); // throws on a bad timestamp: the message is rejected
  return e;
}

/** Per-run deadline: publish time + manifest timeout + slack; null when unknown. */
export function expiresAt(
  recordedAt: string,
  timeoutSecs: number | null | undefined,
): string | null {
  if (timeoutSecs == null || !(timeoutSecs >= 0)) return null;
  return fastInstantDb(epochMs(recordedAt) + (timeoutSecs + EXPIRY_SLACK_SECS) * 1000, 0);
}

export async function applyStarted(tx: Transaction, rows: StartedRow[]): Promise<void> {
  const stmts = insertStatements(
    `INSERT INTO execution_results (${COLS.join(",")})`,
    rows.map((r) => COLS.map((c) => r[c])),
    `ON CONFLICT(result_id) DO UPDATE SET
       version = COALESCE(execution_results.version, excluded.version),
       exec_id = COALESCE(execution_results.exec_id, excluded.exec_id),
       job_id = COALESCE(execution_results.job_id, excluded.job_id),
       expires_at = COALESCE(execution_results.expires_at, excluded.expires_at)`,
  );
  stmts.push(...markRunningStatements([...new Set(rows.map((r) => r.exec_id))]));
  if (stmts.length) await tx.batch(stmts);
}

/**
 * The result ids among `ids` whose row a start event cannot change any more: finished by a
 * result (not by the reaper) with version, exec and job already set.
 */
export async function settledIds(tx: Transaction, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rs = await tx.execute({
    sql: `SELECT e.result_id FROM json_each(?) j JOIN execution_results e ON e.result_id = j.value
          WHERE e.finished_at IS NOT NULL AND e.reaped = 0 AND e.version IS NOT NULL
            AND e.exec_id IS NOT NULL AND e.job_id IS NOT NULL`,
    args: [JSON.stringify(ids)],
  });
  return new Set(rs.rows.map((r) => String(r.result_id)));
}

type Started = ReturnType<typeof decodeStarted>;

export function eventsSpec(
  manifests: ManifestCache | undefined,
  durable: string = CONSUMER.events,
  progress?: ResultsProgress,
): JsProjectorSpec<Started> {
  return {
    name: "events",
    stream: STREAM.events,
    durable,
    filter: SUBJECT.eventsStartedFilter,
    decode: (data) => decodeStarted(data),
    ...(progress ? { prepare: (items) => progress.waitFor(items.map((it) => it.recordedAt)) } : {}),
    async apply(tx, items) {
      const all: StartedRow[] = items.map(({ value: e, recordedAt }) => ({
        result_id: e.result_id,
        request_id: e.request_id,
        exec_id: e.exec_id,
        pc_id: e.pc_id,
        started_at: e.started_at, // DB text since decodeStarted
        recorded_at: recordedAt,
        job_id: e.manifest_id,
        version: e.version,
        expires_at: expiresAt(recordedAt, manifests?.get(e.manifest_id)?.timeoutSecs),
      }));
      const settled = await settledIds(tx, all.map((r) => r.result_id));
      const rows = all.filter((r) => !settled.has(r.result_id));
      await applyStarted(tx, rows);
      if (rows.length === 0) return [];
      const notices: ChangeNotice[] = [{
        kind: "result",
        count: rows.length,
        result_ids: rows.slice(0, 100).map((r) => r.result_id),
      }, { kind: "execution", exec_ids: noticeIds(rows.map((r) => r.exec_id)) }];
      return notices;
    },
  };
}
