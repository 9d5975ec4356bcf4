/**
 * events projector: `events.started.>` → in-flight `execution_results` rows (exit and
 * finish NULL) and the parent execution turns `running`. A start that arrives after its
 * result never touches the lifecycle columns; it only fills metadata the result could
 * not carry (version, expiry), so live order and a replay in any order give one row.
 */
import type { Transaction } from "@libsql/client";
import { EventStartedSchema } from "../wire/messages.ts";
import { CONSUMER, STREAM, SUBJECT } from "../wire/names.ts";
import { dbTs, epochMs } from "../wire/time.ts";
import { insertStatements } from "./batch.ts";
import { markRunningStatements } from "../lib/exec/lifecycle.ts";
import { type ChangeNotice, type JsProjectorSpec, noticeIds } from "./jetstream_projector.ts";
import type { ManifestCache } from "./manifest_cache.ts";
import { parseJsonBytes } from "../wire/codec.ts";

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

export function decodeStarted(data: Uint8Array) {
  const e = EventStartedSchema.parse(parseJsonBytes(data));
  return e;
}

/** Per-run deadline: publish time + manifest timeout + slack; null when unknown. */
export function expiresAt(
  recordedAt: string,
  timeoutSecs: number | null | undefined,
): string | null {
  if (timeoutSecs == null || !(timeoutSecs >= 0)) return null;
  return dbTs(epochMs(recordedAt) + (timeoutSecs + EXPIRY_SLACK_SECS) * 1000);
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

type Started = ReturnType<typeof decodeStarted>;

export function eventsSpec(
  manifests: ManifestCache | undefined,
  durable: string = CONSUMER.events,
): JsProjectorSpec<Started> {
  return {
    name: "events",
    stream: STREAM.events,
    durable,
    filter: SUBJECT.eventsStartedFilter,
    decode: (data) => decodeStarted(data),
    async apply(tx, items) {
      const rows: StartedRow[] = items.map(({ value: e, recordedAt }) => ({
        result_id: e.result_id,
        request_id: e.request_id,
        exec_id: e.exec_id,
        pc_id: e.pc_id,
        started_at: dbTs(e.started_at),
        recorded_at: recordedAt,
        job_id: e.manifest_id,
        version: e.version,
        expires_at: expiresAt(recordedAt, manifests?.get(e.manifest_id)?.timeoutSecs),
      }));
      await applyStarted(tx, rows);
      const notices: ChangeNotice[] = [{
        kind: "result",
        count: rows.length,
        result_ids: rows.slice(0, 100).map((r) => r.result_id),
      }, { kind: "execution", exec_ids: noticeIds(rows.map((r) => r.exec_id)) }];
      return notices;
    },
  };
}
