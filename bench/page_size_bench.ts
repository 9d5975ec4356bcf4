/**
 * Why the database keeps SQLite's 4 KiB pages: what 16 KiB pages would do to the two write
 * paths that grow with the fleet, fresh files, alternated in one run:
 *
 * - the results writer: `applyResults` in one transaction per batch of 10,000 results (the
 *   batches of a fleet-wide exec), agent-minted random result ids, realistic outputs,
 *   into a table that already holds three such execs (16 KiB: faster, fewer WAL frames);
 * - heartbeat writes into a 100,000-agent table, batches of 1,000 as the heartbeat
 *   projector commits them: time per heartbeat (as the heartbeat_write suite) and the WAL
 *   bytes one batch writes. Every batch dirties pages all over the agents table, and a
 *   16 KiB page is written whole for one changed row: the WAL, and the checkpoints that copy
 *   it into the file, carry 2.6× the bytes at 100,000 agents, around the clock, for every fleet.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median, shuffledRange } from "./types.ts";
import { createClient } from "@libsql/client";
import { type Db, inWriteTx, openDb } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { applyResults } from "../projectors/results.ts";
import { type ResultRowIn, rowJson } from "../projectors/results_sql.ts";
import { logger } from "../lib/log.ts";
import { realisticSize, realisticText } from "../simulator/stdout.ts";
import { prng } from "../simulator/util.ts";
import { timeHeartbeatWrites } from "./heartbeat_write_bench.ts";

const SIZES = [4096, 16_384];
const BATCH = 10_000;
/** The heartbeat projector's batch (core_projector.ts: 1,000 items or 1 s). */
const HB_BATCH = 1_000;
const EXEC = "bench-page-exec";

/** A migrated database file created with `pageSize` (openDb keeps an existing file's). */
async function fileWithPageSize(pageSize: number): Promise<{ db: Db; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-page-" });
  const url = `file:${dir}/kanade.db`;
  const c = createClient({ url });
  await c.executeMultiple(`PRAGMA page_size = ${pageSize}; PRAGMA journal_mode = WAL`);
  c.close();
  const db = await openDb({ url, busyTimeoutMs: 20_000 });
  const got = Number((await db.execute("PRAGMA page_size")).rows[0][0]);
  if (got !== pageSize) throw new Error(`page size ${got}, wanted ${pageSize}`);
  await migrate(db);
  return { db, dir };
}

/** `n` results of earlier execs, random ids and 600-byte outputs, generated inside SQLite. */
async function seedHistory(db: Db, n: number) {
  await db.execute({
    sql: `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ?1 - 1)
      INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, exit_code, stdout,
        started_at, finished_at, recorded_at, job_id, version)
      SELECT lower(hex(randomblob(16))), 'q' || (i / ?2), 'e' || (i / ?2),
        printf('PC%06d', i % ?2), 0, substr(hex(randomblob(300)), 1, 600),
        '2026-06-19T00:00:00.000000000Z', '2026-06-19T00:00:01.000000000Z',
        '2026-06-19T00:00:01.000000000Z', 'bench-job', '1' FROM k`,
    args: [n, n / 3],
  });
  await db.execute({
    sql: `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at,
      target_count) VALUES (?, 'bench-job', '1', 'bench', '2026-06-20T00:00:00.000000000Z', 0)`,
    args: [EXEC],
  });
  await db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
}

/** One fleet-wide exec's results in arrival order, rendered as the writer receives them. */
function burst(agents: number, seed: number): ResultRowIn[] {
  const r = prng(seed);
  const order = shuffledRange(agents, r);
  const t0 = Date.UTC(2026, 5, 20) + seed * 3_600_000;
  const ts = (ms: number) => new Date(t0 + ms).toISOString().replace("Z", "000000Z");
  return order.map((k, pos) => {
    const row: ResultRowIn = {
      result_id: crypto.randomUUID(),
      request_id: `req-${seed}`,
      exec_id: EXEC,
      pc_id: `PC${String(k).padStart(6, "0")}`,
      exit_code: k % 50 === 0 ? 1 : 0,
      stdout: realisticText(Math.min(200_000, realisticSize(r(), r())), r),
      stderr: "",
      // Agents start within a few seconds and answer in roughly that order.
      started_at: ts(pos * 0.08 + r() * 800),
      finished_at: ts(pos * 0.08 + 800 + r() * 800),
      recorded_at: ts(pos * 0.08 + 2_000),
      job_id: "bench-job",
    };
    return { ...row, json: rowJson(row) };
  });
}

/** Results per second through the writer's path (one transaction per batch). */
async function writeBurst(db: Db, rows: ResultRowIn[]): Promise<number> {
  const log = logger();
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    const part = rows.slice(i, i + BATCH);
    await inWriteTx(
      db,
      (tx) => applyResults(tx, part, { log, manifests: { get: () => undefined } }),
    );
  }
  return rows.length / ((performance.now() - t0) / 1000);
}

export const suite: BenchSuite = {
  name: "page_size",
  async run(ctx) {
    const agents = ctx.quick ? 10_000 : 100_000;
    const rounds = ctx.quick ? 1 : 3;
    const files: { db: Db; dir: string }[] = [];
    const perSec = SIZES.map(() => [] as number[]);
    let hbUs: number[][] = [];
    let walMb: number[][] = [];
    try {
      for (const size of SIZES) files.push(await fileWithPageSize(size));
      for (const f of files) await seedHistory(f.db, agents * 3);
      for (let round = 0; round < rounds; round++) {
        const rows = burst(agents, round + 1);
        for (const [k, f] of files.entries()) {
          perSec[k].push(await writeBurst(f.db, rows));
          ctx.log(
            `round ${round + 1} ${SIZES[k]} B pages: ${perSec[k].at(-1)!.toFixed(0)} results/s`,
          );
        }
      }
      for (const f of files) f.db.close();
      files.splice(0).forEach((f) => Deno.remove(f.dir, { recursive: true }).catch(() => {}));
      for (const size of SIZES) files.push(await fileWithPageSize(size));
      const hb = await timeHeartbeatWrites(files.map((f) => f.db), {
        agents,
        perRound: ctx.quick ? 10_000 : 40_000,
        rounds,
        batch: HB_BATCH,
        walBatches: 10,
        log: (k, r, v) =>
          ctx.log(`round ${r + 1} ${SIZES[k]} B pages: ${v.toFixed(1)} µs per heartbeat`),
      });
      hbUs = hb.us;
      walMb = hb.walFrames.map((fs, k) => fs.map((f) => f * SIZES[k] / 1e6));
    } finally {
      for (const f of files) {
        f.db.close();
        await Deno.remove(f.dir, { recursive: true }).catch(() => {});
      }
    }
    const load = loadAvg();
    const gain = median(perSec[1]) / median(perSec[0]);
    const hbRatio = median(hbUs[1]) / median(hbUs[0]);
    const walRatio = median(walMb[1]) / median(walMb[0]);
    return [
      ...SIZES.map((size, k): BenchRow => ({
        name: `results writer, ${size / 1024} KiB pages: ${agents} results into ${agents * 3}`,
        median: Math.round(median(perSec[k])),
        unit: "results/s",
        samples: perSec[k].map(Math.round),
        note: `batches of ${BATCH}, one transaction each, alternated; load ${load}` +
          (k === 1 ? `; ${gain.toFixed(2)}× the 4 KiB file` : ""),
      })),
      ...SIZES.map((size, k): BenchRow => ({
        name: `heartbeat write into ${agents} agents, ${size / 1024} KiB pages: per heartbeat`,
        median: Number(median(hbUs[k]).toFixed(1)),
        unit: "µs",
        samples: hbUs[k].map((v) => Number(v.toFixed(1))),
        note: `batches of ${HB_BATCH}, alternated; load ${load}` +
          (k === 1 ? `; ${hbRatio.toFixed(2)}× the 4 KiB file's cost` : ""),
      })),
      ...SIZES.map((size, k): BenchRow => ({
        name: `WAL written by one heartbeat batch into ${agents} agents, ${size / 1024} KiB pages`,
        median: Number(median(walMb[k]).toFixed(1)),
        unit: "MB",
        samples: walMb[k].map((v) => Number(v.toFixed(1))),
        note: `${HB_BATCH} heartbeats, 10 batches` +
          (k === 1 ? `; ${walRatio.toFixed(2)}× the 4 KiB file's bytes` : ""),
      })),
    ];
  },
};
