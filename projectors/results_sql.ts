/**
 * The SQL of the results projector's write, and the rows as that SQL reads them: the
 * columns it writes, the upsert that finishes or inserts a chunk of rows given as one JSON
 * parameter, the read of what a batch's result ids already hold. Pure of any connection but
 * the one it is handed (projectors/results.ts runs them, on the writer thread or in-thread).
 */
import type { Transaction } from "@libsql/client";
import { wellFormed } from "./batch.ts";
import { isTransientDbError } from "../db/remote.ts";

/** One result row to write; `recorded_at` is the message's publish time. */
export interface ResultRowIn {
  result_id: string;
  request_id: string;
  exec_id: string | null;
  pc_id: string;
  exit_code: number;
  stdout: string;
  stderr: string;
  started_at: string;
  finished_at: string;
  recorded_at: string;
  job_id: string | null;
  /** The row as its UPSERT_JSON element, when already rendered (by the main thread). */
  json?: string;
}

/** The execution_results columns the projector writes, in its row order. */
export const COLS = [
  "result_id",
  "request_id",
  "exec_id",
  "pc_id",
  "exit_code",
  "stdout",
  "stderr",
  "started_at",
  "finished_at",
  "recorded_at",
  "job_id",
] as const;

const UPSERT_TAIL = `ON CONFLICT(result_id) DO UPDATE SET
  request_id = excluded.request_id,
  exec_id = COALESCE(execution_results.exec_id, excluded.exec_id),
  exit_code = excluded.exit_code,
  stdout = excluded.stdout,
  stderr = excluded.stderr,
  started_at = excluded.started_at,
  finished_at = excluded.finished_at,
  recorded_at = excluded.recorded_at,
  job_id = COALESCE(excluded.job_id, execution_results.job_id),
  version = COALESCE(execution_results.version, excluded.version),
  reaped = 0
WHERE execution_results.finished_at IS NULL OR execution_results.reaped = 1`;

export const SELECT_EXISTING = `SELECT e.result_id, e.finished_at, e.reaped, e.exec_id
  FROM json_each(?) j JOIN execution_results e ON e.result_id = j.value`;

/**
 * One upsert for a whole chunk: the rows arrive as a JSON array of arrays in COLS order.
 * The version a result does not carry is its execution's (the one its command was sent
 * with, as its start event would say), so a finished row needs no start event to be whole.
 * Each row is read once into JSONB (MATERIALIZED keeps SQLite from folding it back into
 * the select list): reading `value ->> i` straight off json_each rendered the row's JSON
 * text, stdout and all, for each of the twelve reads: with realistic outputs a third of
 * the JSON work. A backlog of 100,000 realistic results drains ~8 % faster (`deno task bench
 * -- --only scale --sizes 100000 --parts projector`, builds alternated: 22,759 / 21,651 /
 * 19,835 against 20,364 / 17,374 results/s; 2.86× against 2.65× the plain insert of the
 * same run, bench/RESULTS.md).
 */
export const UPSERT_JSON = upsertJson(
  `WITH r(v) AS MATERIALIZED (SELECT jsonb(value) FROM json_each(?))`,
  "v",
  "r",
);

/** The same, each column read off json_each's text: for SQLite before 3.45 (no JSONB). */
export const UPSERT_JSON_TEXT = upsertJson("", "value", "json_each(?)");

function upsertJson(with_: string, row: string, from: string): string {
  return `${with_}
  INSERT INTO execution_results (${COLS.join(", ")}, version)
  SELECT ${COLS.map((_, i) => `${row} ->> ${i}`).join(", ")},
    (SELECT x.version FROM executions x WHERE x.exec_id = ${row} ->> ${COLS.indexOf("exec_id")})
  FROM ${from} WHERE true
  ${UPSERT_TAIL}`;
}

/**
 * Whether this thread's database has JSONB (SQLite 3.45, January 2024; the libSQL of this
 * project and sqld 0.24 have it): a libSQL server of an older release is still written, the
 * slower way. Asked once per thread; a transient failure of the question is no answer.
 */
let jsonb: boolean | undefined;
export async function upsertJsonSql(tx: Transaction): Promise<string> {
  if (jsonb === undefined) {
    try {
      await tx.execute("SELECT jsonb('[]')");
      jsonb = true;
    } catch (e) {
      if (isTransientDbError(e)) throw e;
      jsonb = false;
    }
  }
  return jsonb ? UPSERT_JSON : UPSERT_JSON_TEXT;
}

/** Rows → UPSERT_JSON's parameter; lone surrogates become U+FFFD, as a bound string would. */
export function rowsJson(rows: ResultRowIn[]): string {
  return `[${rows.map((r) => r.json ?? rowJson(r)).join(",")}]`;
}

/** One row as its UPSERT_JSON element (COLS order). */
export function rowJson(r: ResultRowIn): string {
  const wf = wellFormed;
  return JSON.stringify([
    wf(r.result_id),
    wf(r.request_id),
    r.exec_id === null ? null : wf(r.exec_id),
    wf(r.pc_id),
    r.exit_code,
    wf(r.stdout),
    wf(r.stderr),
    r.started_at,
    r.finished_at,
    r.recorded_at,
    r.job_id === null ? null : wf(r.job_id),
  ]);
}
