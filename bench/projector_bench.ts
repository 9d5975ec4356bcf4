/**
 * Results projector throughput: N ExecResults pre-published to RESULTS, then the results
 * projector, started as `deno task projector` starts it with the default configuration
 * (a local file: the writer thread, batches up to its default size), replays them into a
 * fresh DB (results/s until the last row is committed). In the same run, the baseline:
 * the same engine and writer path with one message per transaction, over a prefix of the
 * stream. Each run uses a new DB and a deleted durable (full replay). The load average is
 * reported: the machine is shared, and the numbers are only meaningful next to it. Also
 * measured: the in-thread writer (KANADE_RESULTS_WRITER_THREAD=0), and the default without the
 * WAL checkpoint thread (KANADE_WAL_CHECKPOINT_THREAD=0).
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
import { startWalCheckpointer } from "../db/wal_checkpointer.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { nowDb } from "../wire/time.ts";
import type { JsProjectorOptions } from "../projectors/jetstream_projector.ts";
import { startProjectors } from "../projectors/mod.ts";

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

/**
 * One replay into a fresh DB, started the way `deno task projector` starts it
 * (startProjectors with the configuration's defaults; `env` adds overrides).
 */
async function runOnce(
  base: Omit<Deps, "db" | "config">,
  natsUrl: string,
  target: number,
  env: Record<string, string>,
  js?: JsProjectorOptions,
): Promise<number> {
  const t = await tempDb();
  const config = loadConfig({
    args: [],
    env: { KANADE_NATS_URL: natsUrl, KANADE_DB_URL: t.url, KANADE_LOG_LEVEL: "error", ...env },
  });
  const deps: Deps = { ...base, config, db: t.db };
  // As a process's deps have it (lib/deps.ts): the WAL checkpointed from its own thread.
  const ckpt = config.walCheckpointThread ? startWalCheckpointer(t.url, logger()) : null;
  try {
    const stmts = Array.from({ length: EXECS }, (_, i) => ({
      sql:
        `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count)
            VALUES (?, 'bench-job', '1', 'bench', ?, 1000000)`,
      args: [`exec-${i}`, nowDb()],
    }));
    await t.db.batch(stmts, "write");
    const t0 = performance.now();
    // The results table is empty: startProjectors deletes the durable and the stream replays.
    const running = await startProjectors(deps, { only: ["results"], js });
    const p = running.projectors[0];
    while (p.stats.applied < target) await new Promise((r) => setTimeout(r, 20));
    const secs = (performance.now() - t0) / 1000;
    await running.stop();
    return p.stats.applied / secs;
  } finally {
    await ckpt?.stop();
    await t.close();
  }
}

/** One message per transaction: the same engine and writer, batching turned off. */
const ONE_PER_TX: JsProjectorOptions = { batchSize: 1, maxWaitMs: 0 };
const WRITER_OFF = { KANADE_RESULTS_WRITER_THREAD: "0" };
const CHECKPOINT_THREAD_OFF = { KANADE_WAL_CHECKPOINT_THREAD: "0" };

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
      const base = { nats, log: logger() };
      await publishFlood({ ...base, config } as Deps, n, ctx.log);
      const dflt: number[] = [];
      const single: number[] = [];
      const inThread: number[] = [];
      const singleInThread: number[] = [];
      const noCkpt: number[] = [];
      const loads: number[] = [];
      for (let i = 0; i < runs; i++) {
        loads.push(Deno.loadavg()[0]);
        dflt.push(await runOnce(base, broker.url, n, {}));
        ctx.log(`default run ${i + 1}: ${dflt[i].toFixed(0)} results/s`);
        noCkpt.push(await runOnce(base, broker.url, n, CHECKPOINT_THREAD_OFF));
        ctx.log(`checkpoint thread off run ${i + 1}: ${noCkpt[i].toFixed(0)} results/s`);
        single.push(await runOnce(base, broker.url, baselineN, {}, ONE_PER_TX));
        ctx.log(`baseline run ${i + 1}: ${single[i].toFixed(0)} results/s`);
        inThread.push(await runOnce(base, broker.url, n, WRITER_OFF));
        ctx.log(`in-thread run ${i + 1}: ${inThread[i].toFixed(0)} results/s`);
        singleInThread.push(await runOnce(base, broker.url, baselineN, WRITER_OFF, ONE_PER_TX));
        ctx.log(`in-thread baseline run ${i + 1}: ${singleInThread[i].toFixed(0)} results/s`);
      }
      loads.push(Deno.loadavg()[0]);
      const load = `load average (1 min) ${loads.map((l) => l.toFixed(1)).join(" → ")}`;
      ctx.log(load);
      const b = median(dflt);
      const s = median(single);
      return [
        {
          name: `results projector, default configuration (writer thread) (${n} msgs)`,
          median: Math.round(b),
          unit: "results/s",
          samples: dflt.map(Math.round),
          target: "≥ 20000",
          ok: b >= 20_000,
          note: `${(b / s).toFixed(1)}× baseline (target ≥ 4×); ${load}`,
        },
        {
          name: `baseline: one message per transaction (${baselineN} msgs)`,
          median: Math.round(s),
          unit: "results/s",
          samples: single.map(Math.round),
        },
        {
          name: `KANADE_RESULTS_WRITER_THREAD=0: in-thread writer (${n} msgs)`,
          median: Math.round(median(inThread)),
          unit: "results/s",
          samples: inThread.map(Math.round),
          note: `${
            (median(inThread) / median(singleInThread)).toFixed(1)
          }× its in-thread one-per-transaction baseline (${Math.round(median(singleInThread))}/s)`,
        },
        {
          name: `KANADE_WAL_CHECKPOINT_THREAD=0: checkpoints inside commits (${n} msgs)`,
          median: Math.round(median(noCkpt)),
          unit: "results/s",
          samples: noCkpt.map(Math.round),
          note: `default / this: ${(b / median(noCkpt)).toFixed(2)}× (alternated run by run)`,
        },
        {
          name: "default / baseline",
          median: Number((b / s).toFixed(1)),
          unit: "×",
          samples: dflt.map((x, i) => Number((x / single[i]).toFixed(1))),
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
