/**
 * The database part of the scale benchmark, for a fleet of N agents with 100 results per
 * agent in the table (10 million at 100,000 agents):
 *
 * - the scheduler's once_per_pc tick decision (N expected PCs, half of the rows the job's);
 * - `GET /api/results?limit=50` p95, with its X-Total-Count;
 * - the results projector draining a backlog of N results (one exec to all, realistic
 *   output sizes) against a plain prepared-statement insert of the same rows into the same
 *   schema, measured in the same run on fresh databases.
 */
import { startTestBackend } from "../tests/helpers/backend.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { tempDb } from "../tests/helpers/db.ts";
import { connectNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { loadConfig } from "../lib/config.ts";
import { logger, setLogLevel } from "../lib/log.ts";
import type { Deps } from "../lib/deps.ts";
import { openKv } from "../lib/kv.ts";
import { startProjectors } from "../projectors/mod.ts";
import { decideDedup, type TickContext } from "../scheduler/tick.ts";
import type { Mark } from "../scheduler/policy.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { BUCKET, subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { dbTs, nowDb } from "../wire/time.ts";
import { realisticSize, realisticText } from "../simulator/stdout.ts";
import { prng } from "../simulator/util.ts";
import { loadAvg, percentile } from "./types.ts";

const JOB = "bench-scale-job";
const EXEC = "bench-scale-exec";

export interface DbRun {
  tickMs: number;
  resultsP95Ms: number;
  drainPerSec: number;
  plainPerSec: number;
  load: number;
}

/**
 * N alive agents (`PC000000`…) and `rows` results, generated inside SQLite (client inserts
 * would dominate); the scheduler benchmark seeds its DB the same way.
 */
export async function seed(
  be: Awaited<ReturnType<typeof startTestBackend>>,
  n: number,
  rows: number,
  job = JOB,
) {
  const db = be.deps.db;
  const now = Date.now();
  // Row i: PC i % n; the job's for even rounds; PCs below n/2 finished recently, the rest
  // hours ago (so the tick fires at about half the fleet); 10 % failures.
  for (let done = 0; done < rows; done += 1_000_000) {
    const part = Math.min(1_000_000, rows - done);
    await db.execute({
      sql: `WITH RECURSIVE k(i) AS (SELECT ?5 UNION ALL SELECT i + 1 FROM k WHERE i < ?5 + ?1 - 1)
            INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, exit_code,
              started_at, finished_at, recorded_at, job_id, version)
            SELECT printf('r%09d', i), printf('q%09d', i), NULL, printf('PC%06d', i % ?2),
              CASE WHEN i % 10 = 1 THEN 1 ELSE 0 END, t, t, t,
              CASE WHEN (i / ?2) % 2 = 0 THEN ?3 ELSE printf('other-%d', i % 7) END, '1.0.0'
            FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%S', (?4 / 1000) -
                    CASE WHEN (i % ?2) < ?2 / 2 THEN (i / ?2) * 60 % 3000 + 1
                         ELSE 7200 + (i / ?2) * 60 END, 'unixepoch') || '.000000000Z' AS t
                  FROM k)`,
      args: [part, n, job, now, done],
    });
  }
  // The agents last, beating 10 s ago as of now: 10 million rows take minutes to write,
  // and agents seeded before them would have left the alive window (expected 0 at 100k).
  await db.execute({
    sql: `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ?1 - 1)
          INSERT INTO agents (pc_id, last_heartbeat, updated_at, agent_version)
          SELECT printf('PC%06d', i), ?2, ?2, '0.43.45' FROM k`,
    args: [n, dbTs(Date.now() - 10_000)],
  });
  await db.execute("ANALYZE");
}

/** The rows of one exec to all over N agents, with realistic output (deterministic). */
function resultRows(n: number) {
  const r = prng(42);
  const at = "2026-06-20T00:00:01.500000000Z";
  return Array.from({ length: n }, (_, k) => ({
    result_id: `res-${k}`,
    request_id: `req-all`,
    exec_id: EXEC,
    pc_id: `PC${String(k).padStart(6, "0")}`,
    exit_code: k % 50 === 0 ? 1 : 0,
    stdout: realisticText(Math.min(200_000, realisticSize(r(), r())), r),
    stderr: "",
    started_at: "2026-06-20T00:00:00.000000000Z",
    finished_at: at,
    manifest_id: JOB,
  }));
}

type Row = ReturnType<typeof resultRows>[number];

async function publishRows(deps: Pick<Deps, "nats">, rows: Row[]) {
  for (let i = 0; i < rows.length; i += 1000) {
    await Promise.all(
      rows.slice(i, i + 1000).map((row) =>
        deps.nats.js.publish(subjects.results(row.request_id), jsonBytes(encodeExecResult(row)))
      ),
    );
  }
}

/** Results projector (default configuration) on the published backlog, into a fresh DB. */
async function drain(base: Omit<Deps, "db" | "config">, natsUrl: string, n: number) {
  const t = await tempDb();
  const config = loadConfig({
    args: [],
    env: { KANADE_NATS_URL: natsUrl, KANADE_DB_URL: t.url, KANADE_LOG_LEVEL: "error" },
  });
  try {
    await t.db.execute({
      sql: `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at,
              target_count) VALUES (?, ?, '1.0.0', 'bench', ?, ?)`,
      args: [EXEC, JOB, nowDb(), n],
    });
    const running = await startProjectors({ ...base, config, db: t.db }, { only: ["results"] });
    const p = running.projectors[0];
    // Timed from the first committed batch: the projector's start (writer thread, durable)
    // is a fixed cost that would swamp a 1,000-result backlog.
    while (p.stats.applied === 0) await new Promise((r) => setTimeout(r, 2));
    const first = p.stats.applied;
    const t0 = performance.now();
    while (p.stats.applied < n) await new Promise((r) => setTimeout(r, 5));
    const perSec = (n - first) / ((performance.now() - t0) / 1000);
    await running.stop();
    return perSec;
  } finally {
    await t.close();
  }
}

/** The same rows, one prepared single-row INSERT each, 1,000 per transaction, fresh DB. */
async function plainInsert(rows: Row[]) {
  const t = await tempDb();
  try {
    const sql = `INSERT INTO execution_results (result_id, request_id, exec_id, pc_id,
      exit_code, stdout, stderr, started_at, finished_at, recorded_at, job_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 1000) {
      const recorded = nowDb();
      await t.db.batch(
        rows.slice(i, i + 1000).map((r) => ({
          sql,
          args: [
            r.result_id,
            r.request_id,
            r.exec_id,
            r.pc_id,
            r.exit_code,
            r.stdout,
            r.stderr,
            r.started_at,
            r.finished_at,
            recorded,
            r.manifest_id,
          ],
        })),
        "write",
      );
    }
    return rows.length / ((performance.now() - t0) / 1000);
  } finally {
    await t.close();
  }
}

export async function projectorVsPlain(
  n: number,
  runs: number,
  log: (m: string) => void,
): Promise<{ drain: number[]; plain: number[]; loads: number[] }> {
  setLogLevel("error");
  const broker = await startNatsServer();
  const config = loadConfig({
    args: [],
    env: { KANADE_NATS_URL: broker.url, KANADE_DB_URL: "file:/tmp/unused.db" },
  });
  const nats = await connectNats(config, "bench-scale-projector");
  try {
    await setupJetStream(nats);
    const rows = resultRows(n);
    await publishRows({ nats }, rows);
    const out = { drain: [] as number[], plain: [] as number[], loads: [] as number[] };
    for (let r = 0; r < runs; r++) {
      out.loads.push(loadAvg());
      out.drain.push(await drain({ nats, log: logger() }, broker.url, n));
      out.plain.push(await plainInsert(rows));
      log(
        `n=${n} projector run ${r + 1}: drain ${out.drain[r].toFixed(0)}/s, plain insert ${
          out.plain[r].toFixed(0)
        }/s (${(out.drain[r] / out.plain[r]).toFixed(2)}×), load ${out.loads[r]}`,
      );
    }
    return out;
  } finally {
    await nats.close();
    await broker.stop();
  }
}

/**
 * A timed once_per_pc tick decision of `job` to all alive PCs (1 h cooldown), on its own
 * tick context; `marks` seeds in-flight dispatch marks per schedule id.
 */
export async function onceEachTick(be: Awaited<ReturnType<typeof startTestBackend>>, job: string) {
  const markCache = new Map<string, Map<string, Mark>>();
  const tickCtx: TickContext = {
    deps: be.deps,
    dispatchKv: await openKv(be.deps.nats, BUCKET.schedulerDispatch),
    schedulesKv: await openKv(be.deps.nats, BUCKET.schedules),
    aliveWindowSecs: 120,
    markCache,
  };
  const tick = async (scheduleId: string) => {
    const t = performance.now();
    const d = await decideDedup(tickCtx, {
      scheduleId,
      jobId: job,
      target: { all: true, groups: [], pcs: [] },
      mode: "once_per_pc",
      cooldownMs: 3_600_000,
      autoDisable: false,
      maxConcurrent: null,
      nowMs: Date.now(),
    });
    return { ms: performance.now() - t, expected: d.expected.length, fire: d.pcs.length };
  };
  return Object.assign(tick, { marks: markCache });
}

/** Scheduler tick and results listing on a seeded DB: N agents, 100 results per agent. */
export async function seededRuns(
  n: number,
  runs: number,
  log: (m: string) => void,
): Promise<{ tick: number[]; results: number[]; loads: number[]; expected: number }> {
  const be = await startTestBackend({ waves: false });
  try {
    const t0 = performance.now();
    await seed(be, n, n * 100);
    log(
      `seeded ${n} agents and ${n * 100} results in ${
        ((performance.now() - t0) / 1000).toFixed(0)
      } s`,
    );
    const tick = await onceEachTick(be, JOB);
    await tick("bench"); // warm-up: the fleet view's first load and SQLite's page cache
    const out = {
      tick: [] as number[],
      results: [] as number[],
      loads: [] as number[],
      expected: 0,
    };
    for (let r = 0; r < runs; r++) {
      out.loads.push(loadAvg());
      const x = await tick("bench");
      out.tick.push(x.ms);
      out.expected = x.expected;
      const lat: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t = performance.now();
        const res = await be.request("/api/results?limit=50");
        if (!res.headers.get("x-total-count")) throw new Error("no X-Total-Count");
        await res.arrayBuffer();
        lat.push(performance.now() - t);
      }
      out.results.push(percentile(lat, 95));
      log(
        `n=${n} db run ${r + 1}: tick ${x.ms.toFixed(0)} ms (expected ${x.expected}), results p95 ${
          out.results[r].toFixed(1)
        } ms, load ${out.loads[r]}`,
      );
    }
    return out;
  } finally {
    await be.stop();
  }
}
