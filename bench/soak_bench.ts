/**
 * Soak (issue 18; not part of `deno task bench`, run it alone):
 *
 *     deno task bench -- --only soak                               # 100,000 agents, 30 min
 *     deno task bench -- --only soak --agents 10000 --minutes 5    # a shorter rehearsal
 *
 * The real backend (`main.ts`, every component), the simulator with 1 % churn (agents going
 * offline 10–60 s and replaying what they missed), and an exec to all every minute. At the
 * end, once every agent is back and the flow is quiet: every result the agents got an ack
 * for is a row (0 lost), no (exec, PC) pair has two rows (0 duplicates); the backend's RSS
 * is sampled every minute (bounded memory: no growth over the run).
 */
import { argValue, type BenchRow, type BenchSuite, loadAvg, median } from "./types.ts";
import { spawnFleet } from "../tests/helpers/fleet_process.ts";
import {
  apiCall,
  rssBytes,
  startLiveBackend,
  waitAgentsOnline,
} from "../tests/e2e/backend_process.ts";
import { openDb, rowsOf } from "../db/client.ts";
import { retryWhile } from "../util/retry.ts";

const JOB_YAML =
  "id: soak-echo\nversion: 1.0.0\nexecute:\n  shell: powershell\n  script: Get-Service | Format-Table\n  timeout: 120s\n";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const suite: BenchSuite = {
  name: "soak",
  explicit: true,
  async run(ctx) {
    const n = Number(argValue(ctx.args, "--agents") ?? (ctx.quick ? 1000 : 100_000));
    const minutes = Number(argValue(ctx.args, "--minutes") ?? (ctx.quick ? 2 : 30));
    const everyMs = Number(argValue(ctx.args, "--every-secs") ?? 60) * 1000;
    const backend = await startLiveBackend(JOB_YAML, {
      log: (line) => ctx.log(`backend: ${line.slice(0, 400)}`),
    });
    let fleet: Awaited<ReturnType<typeof spawnFleet>> | null = null;
    try {
      const url = backend.url;
      fleet = await spawnFleet(
        [
          "--agents",
          String(n),
          "--nats",
          backend.brokerUrl,
          "--churn",
          "0.01",
          "--no-perf",
          "--report-secs",
          "2",
        ],
        { readyTimeoutMs: 900_000 },
      );
      await waitAgentsOnline(url, n * 0.97, { timeoutMs: 900_000, pollMs: 2000 });
      await sleep(35_000);
      const loads: number[] = [];
      const rss: number[] = [];
      const execs: { id: string; target: number }[] = [];
      let busy503 = 0;
      let refused = 0;
      const t0 = Date.now();
      for (let i = 0; Date.now() - t0 < minutes * 60_000; i++) {
        const next = t0 + i * everyMs;
        if (next > Date.now()) await sleep(next - Date.now());
        // A 503 (broker or database busy) is the API asking to retry, as the CLI does:
        // retried for up to 50 s and counted. Still refused, that minute has no exec (counted
        // and reported): the soak is about lost and duplicate results and memory over time.
        const busy = (e: unknown) => / -> 503:/.test(String((e as Error).message));
        const r = await retryWhile(
          () => apiCall(url, "POST", "/api/exec/soak-echo", '{"target":{"all":true}}'),
          {
            transient: busy,
            until: Date.now() + 50_000,
            firstPauseMs: 1_000,
            maxPauseMs: 5_000,
            onRetry: () => busy503++,
          },
        ).catch((e) => {
          if (!busy(e)) throw e;
          refused++;
          ctx.log(`minute ${i + 1}: exec refused (503) for 50 s: ${(e as Error).message}`);
          return null;
        });
        if (!r) continue;
        const ex = JSON.parse(r.text) as { exec_id: string; target_count: number };
        execs.push({ id: ex.exec_id, target: ex.target_count });
        loads.push(loadAvg());
        rss.push(rssBytes(backend.pid) / 2 ** 20);
        const st = fleet.lastStats();
        ctx.log(
          `minute ${i + 1}: exec ${ex.exec_id} target ${ex.target_count}; backend rss ${
            rss.at(-1)!.toFixed(0)
          } MiB; fleet ${JSON.stringify(st)}; load ${loads.at(-1)}`,
        );
      }
      // Every stint ends within 60 s; then wait for the flow to be quiet.
      await sleep(75_000);
      const db = await openDb({ url: `file:${backend.dbPath}` });
      try {
        const ids = JSON.stringify(execs.map((e) => e.id));
        const count = async () =>
          Number(
            rowsOf<{ n: number }>(
              await db.execute({
                sql:
                  "SELECT COUNT(*) AS n FROM execution_results WHERE exec_id IN (SELECT value FROM json_each(?))",
                args: [ids],
              }),
            )[0].n,
          );
        let rows = -1;
        let acked = -1;
        for (let stable = 0; stable < 3;) {
          await sleep(5_000); // the simulator reports every 2 s
          const r2 = await count();
          const a2 = fleet.lastStats()?.results ?? -1;
          stable = r2 === rows && a2 === acked ? stable + 1 : 0;
          rows = r2;
          acked = a2;
        }
        const dups = Number(
          rowsOf<{ n: number }>(
            await db.execute({
              sql: `SELECT COUNT(*) AS n FROM (SELECT exec_id, pc_id FROM execution_results
                      WHERE exec_id IN (SELECT value FROM json_each(?))
                      GROUP BY exec_id, pc_id HAVING COUNT(*) > 1)`,
              args: [ids],
            }),
          )[0].n,
        );
        const perExec = rowsOf<{ n: number }>(
          await db.execute({
            sql: `SELECT COUNT(*) AS n FROM execution_results
                  WHERE exec_id IN (SELECT value FROM json_each(?)) GROUP BY exec_id`,
            args: [ids],
          }),
        ).map((r) => Number(r.n));
        const lost = acked - rows;
        const sim = fleet.lastStats();
        ctx.log(
          `soak: ${execs.length} execs, ${acked} results acked by JetStream, ${rows} rows, ${dups} duplicate pairs`,
        );
        const load = `load ${median(loads).toFixed(1)} (${Math.min(...loads).toFixed(1)}–${
          Math.max(...loads).toFixed(1)
        })`;
        const rows_: BenchRow[] = [
          {
            name: `lost results after ${minutes} min at ${n} agents, exec to all every ${
              everyMs / 1000
            } s, 1 % churn`,
            median: lost,
            unit: "results",
            samples: [lost],
            target: "0",
            ok: lost === 0,
            note: `${acked} results acked by JetStream, ${rows} rows; ${load}`,
          },
          {
            name: "duplicate (exec, PC) rows",
            median: dups,
            unit: "pairs",
            samples: [dups],
            target: "0",
            ok: dups === 0,
            note:
              `${execs.length} execs; ${busy503} exec calls answered 503 and were retried; ${refused} minutes without an exec (refused for 50 s)`,
          },
          {
            name: "results per exec / target_count",
            median: Number((median(perExec) / median(execs.map((e) => e.target))).toFixed(3)),
            unit: "×",
            samples: perExec.map((x) => x),
            note: `median ${median(perExec)} rows of ${
              median(execs.map((e) => e.target))
            } alive at exec time (an agent away for two execs replays only the last one: EXEC keeps one message per subject)`,
          },
          {
            name: "backend RSS over the soak (first → last minute)",
            median: Math.round(median(rss)),
            unit: "MiB",
            samples: rss.map(Math.round),
            note: `first ${rss[0].toFixed(0)}, last ${rss.at(-1)!.toFixed(0)}, max ${
              Math.max(...rss).toFixed(0)
            } MiB; simulator cpu ${sim?.cpu_pct}% rss ${sim?.rss_mib} MiB`,
          },
        ];
        return rows_;
      } finally {
        db.close();
      }
    } finally {
      await fleet?.stop();
      await backend.stop();
    }
  },
};
