/**
 * Results projector throughput: N ExecResults pre-published to RESULTS, then the batched
 * projector replays them into a fresh DB (results/s until the last row is committed).
 * In the same run, the baseline: the same engine and the same writer path (writer thread,
 * same SQL) with one message per transaction, over a prefix of the stream. Each run uses a
 * new DB and a deleted durable (full replay). The load average is reported: the machine
 * is shared, and the numbers are only meaningful next to it. Also measured: the default
 * in-thread writer (the writer thread is opt-in for now, see projectors/mod.ts).
 */
import type { BenchContext, BenchRow, BenchSuite } from "./types.ts";
import { median } from "./types.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { tempDb } from "../tests/helpers/db.ts";
import { connectNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { loadConfig } from "../lib/config.ts";
import { logger, setLogLevel } from "../lib/log.ts";
import type { Deps } from "../lib/deps.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { CONSUMER, STREAM, subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { nowDb } from "../wire/time.ts";
import { deleteConsumer, startJsProjector } from "../projectors/jetstream_projector.ts";
import { resultsSpec } from "../projectors/results.ts";

const EXECS = 100;

async function publishFlood(deps: Deps, n: number, log: (m: string) => void) {
  const t0 = performance.now();
  const stdout = "x".repeat(200);
  for (let i = 0; i < n; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, n - i) }, (_, j) => {
      const k = i + j;
      return deps.nats.js.publish(
        subjects.results(`req-${k}`),
        jsonBytes(encodeExecResult({
          result_id: crypto.randomUUID(),
          request_id: `req-${k}`,
          exec_id: `exec-${k % EXECS}`,
          pc_id: `PC${k % 5000}`,
          exit_code: k % 10 === 0 ? 1 : 0,
          stdout,
          stderr: "",
          started_at: "2026-06-20T00:00:00Z",
          finished_at: "2026-06-20T00:00:01.5Z",
          manifest_id: "bench-job",
        } as never)),
      );
    }));
  }
  log(`published ${n} results in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Largest batch (group commit: under load batches grow up to it by themselves). */
const BATCH = 20_000;

async function runOnce(
  base: Omit<Deps, "db">,
  target: number,
  batchSize: number,
  writerThread: boolean,
): Promise<number> {
  const t = await tempDb();
  const deps: Deps = { ...base, db: t.db };
  try {
    const stmts = Array.from({ length: EXECS }, (_, i) => ({
      sql:
        `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count)
            VALUES (?, 'bench-job', '1', 'bench', ?, 1000000)`,
      args: [`exec-${i}`, nowDb()],
    }));
    await t.db.batch(stmts, "write");
    await deleteConsumer(deps, STREAM.results, CONSUMER.results);
    const t0 = performance.now();
    const p = startJsProjector(
      deps,
      resultsSpec(
        deps,
        undefined,
        CONSUMER.results,
        writerThread ? { dbUrl: t.url, logLevel: "error" } : {},
      ),
      {
        batchSize,
        maxWaitMs: batchSize === 1 ? 0 : 5,
      },
    );
    while (p.stats.applied < target) await new Promise((r) => setTimeout(r, 20));
    const secs = (performance.now() - t0) / 1000;
    await p.stop();
    return p.stats.applied / secs;
  } finally {
    await t.close();
  }
}

export const suite: BenchSuite = {
  name: "projector",
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    setLogLevel("error");
    const n = ctx.quick ? 20_000 : 200_000;
    const baselineN = ctx.quick ? 2_000 : 10_000;
    const runs = ctx.quick ? 2 : 3;
    const broker = await startNatsServer();
    const config = loadConfig({
      args: [],
      env: { KANADE_NATS_URL: broker.url, KANADE_DB_URL: "file:/tmp/unused.db" },
    });
    const nats = await connectNats(config, "bench-projector");
    try {
      await setupJetStream(nats);
      const base = { config, nats, log: logger() };
      await publishFlood({ ...base } as Deps, n, ctx.log);
      const batched: number[] = [];
      const single: number[] = [];
      const inThread: number[] = [];
      const singleInThread: number[] = [];
      const loads: number[] = [];
      for (let i = 0; i < runs; i++) {
        loads.push(Deno.loadavg()[0]);
        batched.push(await runOnce(base, n, BATCH, true));
        ctx.log(`batched run ${i + 1}: ${batched[i].toFixed(0)} results/s`);
        single.push(await runOnce(base, baselineN, 1, true));
        ctx.log(`baseline run ${i + 1}: ${single[i].toFixed(0)} results/s`);
        inThread.push(await runOnce(base, n, 1000, false));
        ctx.log(`in-thread (default) run ${i + 1}: ${inThread[i].toFixed(0)} results/s`);
        singleInThread.push(await runOnce(base, baselineN, 1, false));
        ctx.log(`in-thread baseline run ${i + 1}: ${singleInThread[i].toFixed(0)} results/s`);
      }
      loads.push(Deno.loadavg()[0]);
      const load = `load average (1 min) ${loads.map((l) => l.toFixed(1)).join(" → ")}`;
      ctx.log(load);
      const b = median(batched);
      const s = median(single);
      return [
        {
          name: `results projector, batched, writer thread (${n} msgs)`,
          median: Math.round(b),
          unit: "results/s",
          samples: batched.map(Math.round),
          target: "≥ 20000",
          ok: b >= 20_000,
          note: `${(b / s).toFixed(1)}× baseline (target ≥ 4×); batches ≤ ${BATCH}; ${load}`,
        },
        {
          name: `baseline: one message per transaction (${baselineN} msgs)`,
          median: Math.round(s),
          unit: "results/s",
          samples: single.map(Math.round),
        },
        {
          name: `default in-thread writer, batches ≤ 1000 (${n} msgs)`,
          median: Math.round(median(inThread)),
          unit: "results/s",
          samples: inThread.map(Math.round),
          note: `${
            (median(inThread) / median(singleInThread)).toFixed(1)
          }× its in-thread one-per-transaction baseline (${
            Math.round(median(singleInThread))
          }/s); the writer thread is opt-in (KANADE_RESULTS_WRITER_THREAD=1)`,
        },
        {
          name: "batched / baseline",
          median: Number((b / s).toFixed(1)),
          unit: "×",
          samples: batched.map((x, i) => Number((x / single[i]).toFixed(1))),
          target: "≥ 4",
          ok: b / s >= 4,
        },
      ];
    } finally {
      await nats.close();
      await broker.stop();
    }
  },
};
