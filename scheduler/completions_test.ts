/**
 * The scheduler's completions read `job_pc_finishes`, which triggers keep as result rows
 * finish (real libSQL file): every way a row finishes, out-of-order finishes, a job id that
 * arrives late, the retention sweep, and the backfill of a database migrated with history.
 */
import assert from "node:assert/strict";
import { tempDb } from "../tests/helpers/db.ts";
import { loadMigrations, migrate } from "../db/migrate.ts";
import type { Db } from "../db/client.ts";
import { completionsFor, lastFinishes } from "./completions.ts";
import { epochMs } from "../wire/time.ts";

let n = 0;
async function result(
  db: Db,
  r: { pc: string; job: string | null; exit: number | null; finished: string | null },
): Promise<string> {
  const id = `r${++n}`;
  await db.execute({
    sql: `INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, exit_code,
            started_at, finished_at, recorded_at, job_id)
          VALUES (?, 'q', 'e', ?, ?, '2026-12-01T00:00:00.000Z', ?, '2026-12-01T00:00:00.000Z', ?)`,
    args: [id, r.pc, r.exit, r.finished, r.job],
  });
  return id;
}

const at = (s: string) => epochMs(`2026-12-0${s}T00:00:00.000Z`);
const ts = (s: string) => `2026-12-0${s}T00:00:00.000Z`;

async function view(db: Db, job: string, pcs: string[]) {
  const ok = Object.fromEntries((await completionsFor(db, job, pcs)).map((c) => [
    c.pc_id,
    c.finished_ms,
  ]));
  const any = Object.fromEntries(await lastFinishes(db, job, pcs));
  return { ok, any };
}

Deno.test("completions: newest success and newest finish per PC, whichever way a row finishes", async () => {
  const t = await tempDb();
  try {
    const { db } = t;
    // PC1: a result straight away (success), then an older success arriving late.
    await result(db, { pc: "PC1", job: "j", exit: 0, finished: ts("3") });
    await result(db, { pc: "PC1", job: "j", exit: 0, finished: ts("2") });
    // PC2: a start row (in flight), finished later by a failure; then a success.
    const started = await result(db, { pc: "PC2", job: "j", exit: null, finished: null });
    assert.deepEqual(await view(db, "j", ["PC2"]), { ok: {}, any: {} });
    await db.execute({
      sql: "UPDATE execution_results SET exit_code = 1, finished_at = ? WHERE result_id = ?",
      args: [ts("4"), started],
    });
    assert.deepEqual(await view(db, "j", ["PC2"]), { ok: {}, any: { PC2: at("4") } });
    await result(db, { pc: "PC2", job: "j", exit: 0, finished: ts("5") });
    // PC3: a result without its job id; the start event fills it in afterwards.
    const early = await result(db, { pc: "PC3", job: null, exit: 0, finished: ts("6") });
    assert.deepEqual(await view(db, "j", ["PC3"]), { ok: {}, any: {} });
    await db.execute({
      sql: "UPDATE execution_results SET job_id = 'j' WHERE result_id = ?",
      args: [early],
    });
    // Another job on PC1 and a PC with nothing stay apart.
    await result(db, { pc: "PC1", job: "other", exit: 0, finished: ts("9") });
    assert.deepEqual(await view(db, "j", ["PC1", "PC2", "PC3", "PC4"]), {
      ok: { PC1: at("3"), PC2: at("5"), PC3: at("6") },
      any: { PC1: at("3"), PC2: at("5"), PC3: at("6") },
    });
    // The retention sweep drops old history; what ran on a PC has still run there.
    await db.execute("DELETE FROM execution_results");
    assert.deepEqual((await view(db, "j", ["PC1"])).ok, { PC1: at("3") });
  } finally {
    await t.close();
  }
});

Deno.test("completions: a database with history is summarised when it migrates", async () => {
  const t = await tempDb({ migrate: false });
  try {
    const { db } = t;
    const all = await loadMigrations();
    const cut = all.findIndex((m) => m.name.endsWith("_job_pc_finishes.sql"));
    assert.ok(cut > 0);
    await migrate(db, all.slice(0, cut));
    await result(db, { pc: "PC1", job: "j", exit: 0, finished: ts("2") });
    await result(db, { pc: "PC1", job: "j", exit: 1, finished: ts("3") });
    await result(db, { pc: "PC2", job: "j", exit: 1, finished: ts("4") });
    await result(db, { pc: "PC3", job: "j", exit: null, finished: null });
    await migrate(db, all);
    assert.deepEqual(await view(db, "j", ["PC1", "PC2", "PC3"]), {
      ok: { PC1: at("2") },
      any: { PC1: at("3"), PC2: at("4") },
    });
    const idx = await db.execute(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_execution_results_job%'",
    );
    assert.deepEqual(idx.rows, [], "the (job, pc) indexes of execution_results are gone");
  } finally {
    await t.close();
  }
});
