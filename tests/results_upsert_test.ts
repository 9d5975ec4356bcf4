/**
 * The results upsert: read through JSONB it writes exactly what the plain-JSON one writes, and
 * the outputs it cuts from its blob are the texts a bound parameter stores.
 */
import assert from "node:assert/strict";
import { tempDb } from "./helpers/db.ts";
import {
  COLS,
  type ResultRowIn,
  rowJson,
  rowsParams,
  UPSERT_JSON,
  UPSERT_JSON_TEXT,
  upsertJsonSql,
} from "../projectors/results_sql.ts";
import { outputsTransfer, packRows, unpackRows } from "../projectors/results_writer.ts";
import type { Db } from "../db/client.ts";

const ts = (s: number) => `2026-12-07T10:00:${String(s).padStart(2, "0")}.000000000Z`;

function row(i: number, over: Partial<ResultRowIn> = {}): ResultRowIn {
  return {
    result_id: `R-${i}`,
    request_id: "REQ",
    exec_id: i % 3 === 0 ? null : "E1",
    pc_id: `PC-${i}`,
    exit_code: i % 4 === 0 ? -1 : i % 2,
    stdout: `line "${i}"\n\ttab \\ back ✓ ${"x".repeat(i * 37)}`,
    stderr: i % 2 ? "" : "err\u2028sep",
    started_at: ts(1),
    finished_at: ts(2 + (i % 5)),
    recorded_at: ts(9),
    job_id: i % 5 === 0 ? null : "job-a",
    ...over,
  };
}

async function snapshot(db: Db) {
  const q = async (sql: string) => (await db.execute(sql)).rows.map((r) => ({ ...r }));
  return {
    results: await q("SELECT * FROM execution_results ORDER BY result_id"),
    totals: await q("SELECT * FROM result_totals"),
    minutes: await q("SELECT * FROM result_counts_minute ORDER BY minute"),
    finishes: await q("SELECT * FROM job_pc_finishes ORDER BY job_id, pc_id"),
  };
}

async function write(db: Db, sql: string) {
  await db.execute(
    `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count,
       status) VALUES ('E1', 'job-a', '2.0.0', 'operator', '${ts(0)}', 40, 'running')`,
  );
  // In-flight rows (as start events write them) that the upsert then finishes.
  await db.execute(
    `INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, started_at,
       recorded_at, job_id, version) VALUES ('R-1', 'REQ', 'E1', 'PC-1', '${ts(1)}',
       '${ts(1)}', NULL, '1.0.0'), ('R-2', 'REQ', NULL, 'PC-2', '${ts(1)}', '${ts(1)}',
       'job-a', NULL)`,
  );
  const rows = Array.from({ length: 40 }, (_, i) => row(i));
  await db.execute({ sql, args: rowsParams(rows) });
  // The same results again (a redelivery): finished rows stay as they are.
  await db.execute({ sql, args: rowsParams(rows.map((r) => ({ ...r, stdout: "changed" }))) });
}

Deno.test("results upsert: the JSONB and the plain-JSON statements write the same rows", async () => {
  const a = await tempDb();
  const b = await tempDb();
  try {
    await write(a.db, UPSERT_JSON);
    await write(b.db, UPSERT_JSON_TEXT);
    const [sa, sb] = [await snapshot(a.db), await snapshot(b.db)];
    assert.equal(sa.results.length, 40);
    assert.equal(sa.results.filter((r) => r.version === "2.0.0").length, 25); // exec E1's
    assert.ok(sa.results.some((r) => String(r.stdout).includes('line "7"\n\ttab \\ back ✓')));
    assert.deepEqual(sa, sb);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("results upsert: this project's libSQL has JSONB, so the faster statement is used", async () => {
  const a = await tempDb();
  try {
    const tx = await a.db.transaction("write");
    try {
      assert.equal(await upsertJsonSql(tx), UPSERT_JSON);
    } finally {
      await tx.rollback();
    }
  } finally {
    await a.close();
  }
});

const TEXTS = [
  "",
  "plain",
  'quote " backslash \\ tab \t newline \n',
  "✓ ü 日本語 😀",
  "lone \ud800 surrogate and \udfff too",
  "nul \u0000 inside",
  "\u2028\u2029",
  "x".repeat(70_000),
  "日本語".repeat(5_000), // needs more room than the blob's first size
];

/**
 * Writes `rows` with each statement (their chunks' parameters from `params`) and, in another
 * database, row by row with bound parameters; every column of both must be the same.
 */
async function assertStoredAsBound(
  rows: ResultRowIn[],
  params: (rows: ResultRowIn[]) => [string, Uint8Array][],
) {
  const a = await tempDb();
  const b = await tempDb();
  try {
    for (const sql of [UPSERT_JSON, UPSERT_JSON_TEXT]) {
      await a.db.execute("DELETE FROM execution_results");
      for (const args of params(rows)) await a.db.execute({ sql, args });
      await b.db.execute("DELETE FROM execution_results");
      for (const r of rows) {
        await b.db.execute({
          sql: `INSERT INTO execution_results (${COLS.join(", ")}) VALUES (${
            COLS.map(() => "?").join(", ")
          })`,
          args: COLS.map((c) => r[c]),
        });
      }
      // Every column, so the element's field order is held to the statement's too.
      const q = (db: Db) =>
        db.execute(
          `SELECT ${COLS.map((c) => `typeof(${c}), hex(${c})`).join(", ")}
           FROM execution_results ORDER BY result_id`,
        ).then((rs) => rs.rows.map((r) => Object.values(r)));
      const got = await q(a.db);
      assert.equal(got.length, rows.length);
      assert.deepEqual(got, await q(b.db), sql === UPSERT_JSON ? "JSONB" : "plain JSON");
    }
  } finally {
    await a.close();
    await b.close();
  }
}

Deno.test("results upsert: outputs cut from the blob, and every other column, are what bound parameters store", async () => {
  const rows = TEXTS.map((t, i) => row(i, { stdout: t, stderr: TEXTS[TEXTS.length - 1 - i] }));
  await assertStoredAsBound(rows, (rows) => [rowsParams(rows)]);
});

Deno.test("results upsert: rows placed in a batch's blob, moved to another thread's heap and written in chunks that skip rows, store the same", async () => {
  const rows = TEXTS.map((t, i) => row(i, { stdout: t, stderr: TEXTS[TEXTS.length - 1 - i] }))
    .map((r) => ({ ...r, json: rowJson(r) }));
  const packed = packRows(rows, [], []);
  // What the writer thread gets: the buffers move, the main thread's views are emptied.
  const back = unpackRows(structuredClone(packed, { transfer: outputsTransfer(packed) }));
  assert.equal(packed.outputs.blob.byteLength, 0);
  // The texts read back are what SQLite stores: lone surrogates as U+FFFD.
  assert.deepEqual(back.map((r) => r.stdout), TEXTS.map((t) => t.toWellFormed()));
  // The plan skips rows (redeliveries) and the upsert goes in chunks: each chunk's places
  // point into its slice of the blob.
  const kept = back.filter((_, i) => i !== 0 && i !== 4);
  const bound = rows.filter((_, i) => i !== 0 && i !== 4).map((r) => ({
    ...r,
    stdout: r.stdout.toWellFormed(),
    stderr: r.stderr.toWellFormed(),
  }));
  // Rows of the thread have no pc_id etc. unless inventory or checks read them: compare the
  // columns the upsert writes from the element, which the thread's rows carry as `json`.
  await assertStoredAsBound(
    bound,
    () => [rowsParams(kept.slice(0, 3)), rowsParams(kept.slice(3, 5)), rowsParams(kept.slice(5))],
  );
});
