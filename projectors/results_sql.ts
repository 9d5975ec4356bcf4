/**
 * The SQL of the results projector's write, and the rows as that SQL reads them: the
 * columns it writes, the upsert that finishes or inserts a chunk of rows given as one JSON
 * parameter with their outputs as one blob, the read of what a batch's result ids already
 * hold. Pure of any connection but the one it is handed (projectors/results.ts runs them, on
 * the writer thread or in-thread).
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
  /** The row's upsert element without its outputs (`rowJson`), when already rendered. */
  json?: string;
  /** Where its outputs already are as UTF-8: a batch's blob, and the row's index in it. */
  placed?: { outputs: PlacedOutputs; i: number };
}

/**
 * A batch's outputs as one UTF-8 blob: `at[4i]` and `at[4i + 1]` are row i's stdout offset
 * and length in bytes, `at[4i + 2]` and `at[4i + 3]` its stderr's. Why: the main thread
 * builds it for the writer thread, and a blob crosses by transfer, where the texts were
 * copied into the request and out of it again (`deno task bench -- --only writer_request`).
 */
export interface PlacedOutputs {
  blob: Uint8Array;
  at: Uint32Array;
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

/** The fields of a row's upsert element (`rowJson`), in order; its outputs' places follow. */
type ElementField = Exclude<(typeof COLS)[number], "stdout" | "stderr">;
const ELEMENT = COLS.filter((c): c is ElementField => c !== "stdout" && c !== "stderr");

/**
 * One upsert for a whole chunk, with two parameters: the rows as a JSON array (each row its
 * ELEMENT fields, then the byte offset (1-based) and length of its stdout and of its stderr)
 * and every row's outputs as one UTF-8 blob (`rowsParams`). The version a result does not
 * carry is its execution's (the one its command was sent with, as its start event would
 * say), so a finished row needs no start event to be whole.
 * Each row's JSON is read once into JSONB (MATERIALIZED keeps SQLite from folding it back
 * into the select list), and the outputs, most of a result's bytes, are never JSON at all:
 * cut from the blob (`substr` of a blob counts bytes) instead of escaped by the main thread
 * and parsed and unescaped by SQLite. Each of the two made a backlog of 100,000 realistic
 * results drain faster (`deno task bench -- --only scale --sizes 100000 --parts projector`,
 * builds alternated: ~8 % and ~18 %; bench/RESULTS.md).
 */
export const UPSERT_JSON = upsertJson(
  `WITH r(v) AS MATERIALIZED (SELECT jsonb(value) FROM json_each(?1))`,
  "v",
  "r",
);

/** The same, each column read off json_each's text: for SQLite before 3.45 (no JSONB). */
export const UPSERT_JSON_TEXT = upsertJson("", "value", "json_each(?1)");

function upsertJson(with_: string, row: string, from: string): string {
  const at = (f: ElementField) => `${row} ->> ${ELEMENT.indexOf(f)}`;
  const n = ELEMENT.length;
  // An empty blob may arrive as NULL: an empty output is still ''.
  const cut = (i: number) =>
    `COALESCE(CAST(substr(?2, ${row} ->> ${n + i}, ${row} ->> ${n + i + 1}) AS TEXT), '')`;
  const select = COLS.map((c) => c === "stdout" ? cut(0) : c === "stderr" ? cut(2) : at(c));
  return `${with_}
  INSERT INTO execution_results (${COLS.join(", ")}, version)
  SELECT ${select.join(", ")},
    (SELECT x.version FROM executions x WHERE x.exec_id = ${at("exec_id")})
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

const te = new TextEncoder();

/**
 * Every row's stdout and stderr, in row order, into one blob. Lone surrogates become
 * U+FFFD (the encoder's own replacement), as a bound string would.
 */
export function placeOutputs(
  rows: readonly Pick<ResultRowIn, "stdout" | "stderr">[],
): PlacedOutputs {
  let units = 0;
  for (const r of rows) units += r.stdout.length + r.stderr.length;
  // Sized for ASCII, the usual output, and grown when an output needs more (UTF-8 takes up to
  // 3 bytes per UTF-16 unit): sized for the worst case, a chunk of large outputs (2,000 of
  // 120 KiB) asked for 720 MB at once.
  let buf = new Uint8Array(units + 16);
  let off = 0;
  const at = new Uint32Array(rows.length * 4);
  const place = (text: string, slot: number) => {
    at[slot] = off;
    for (let rest = text;;) {
      const { read, written } = te.encodeInto(rest, buf.subarray(off));
      off += written;
      if (read === rest.length) break;
      rest = rest.slice(read);
      const grown = new Uint8Array(Math.max(buf.length * 2, off + rest.length * 3));
      grown.set(buf.subarray(0, off));
      buf = grown;
    }
    at[slot + 1] = off - at[slot];
  };
  rows.forEach((r, i) => {
    place(r.stdout, 4 * i);
    place(r.stderr, 4 * i + 2);
  });
  return { blob: buf.subarray(0, off), at };
}

/** Rows per upsert statement: a batch is written in parts of this many (`applyResults`). */
export const UPSERT_CHUNK_ROWS = 2_000;

/**
 * Rows → the upsert's two parameters: the elements (`wellFormed` texts, see rowJson) with
 * their outputs' 1-based places, and the bytes those places point into. Rows placed in one
 * batch's blob (the writer thread's) use it as it is, from their first output's byte to
 * their last; other rows' outputs are encoded here.
 */
export function rowsParams(rows: ResultRowIn[]): [string, Uint8Array] {
  const shared = rows[0]?.placed?.outputs;
  const inShared = shared !== undefined && rows.every((r) => r.placed?.outputs === shared);
  const { blob, at } = inShared ? shared : placeOutputs(rows);
  const slot = (k: number) => 4 * (inShared ? rows[k].placed!.i : k);
  let lo = rows.length ? Infinity : 0;
  let hi = 0;
  for (let k = 0; k < rows.length; k++) {
    const j = slot(k);
    lo = Math.min(lo, at[j], at[j + 2]);
    hi = Math.max(hi, at[j] + at[j + 1], at[j + 2] + at[j + 3]);
  }
  const elements = rows.map((r, k) => {
    const j = slot(k);
    const json = r.json ?? rowJson(r);
    return `${json.slice(0, -1)},${at[j] - lo + 1},${at[j + 1]},${at[j + 2] - lo + 1},${
      at[j + 3]
    }]`;
  });
  return [`[${elements.join(",")}]`, blob.subarray(lo, hi)];
}

/** One row's upsert element without its outputs (ELEMENT order). */
export function rowJson(r: ResultRowIn): string {
  const wf = wellFormed;
  return JSON.stringify([
    wf(r.result_id),
    wf(r.request_id),
    r.exec_id === null ? null : wf(r.exec_id),
    wf(r.pc_id),
    r.exit_code,
    r.started_at,
    r.finished_at,
    r.recorded_at,
    r.job_id === null ? null : wf(r.job_id),
  ]);
}
