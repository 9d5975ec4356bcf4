/**
 * The simulator's own cost of an exec to all: one in-process fleet of simulated agents
 * (the CLI's settings: realistic output, minimal history, a capped publish gate) against a
 * private broker with the real JetStream resources; this process plays the backend's
 * publish of one Command on `commands.all` and waits until every agent's result is acked.
 * What it reports is CPU of the simulator's process per agent and exec (decode, gates, run,
 * kill subscription, start event, result, its collector): on the one-box 100k benchmark the
 * simulator shares the two cores with backend and broker, so what it spends there is CPU a
 * burst's projection does not get. Wall time per exec beside it.
 *
 *   deno task bench -- --only sim_exec [--agents 25000] [--runs 11]
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { argValue, loadAvg, median } from "./types.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { connectNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { publishCommand } from "../tests/helpers/command.ts";
import { SUBJECT } from "../wire/names.ts";
import { startFleet } from "../simulator/fleet.ts";
import { sampleProc } from "../simulator/self_report.ts";

export const suite: BenchSuite = {
  name: "sim_exec",
  async run(ctx) {
    // `--agents N` (one process: 25,000 is what each of the 100k bench's processes runs).
    const agents = Number(argValue(ctx.args, "--agents") ?? (ctx.quick ? 2_000 : 10_000));
    const runs = Number(argValue(ctx.args, "--runs") ?? (ctx.quick ? 2 : 9));
    if (!(Number.isInteger(agents) && agents >= 1 && Number.isInteger(runs) && runs >= 1)) {
      throw new Error("sim_exec: --agents and --runs take whole numbers from 1");
    }
    const broker = await startNatsServer();
    const nats = await connectNats({ natsServers: [broker.url] }, "bench-sim-exec");
    const cpuUs: number[] = [];
    const wallMs: number[] = [];
    try {
      await setupJetStream(nats);
      const fleet = await startFleet({
        natsUrl: broker.url,
        agents,
        prefix: "SIMX-",
        groups: (_pc, i) => [i % 2 ? "a" : "b"],
        connections: 4,
        maxInflight: 1000,
        seed: 11,
        perf: false,
        selfUpdate: false,
        realisticOutput: true,
        history: "minimal",
        keepResults: false,
        log: () => {},
      });
      try {
        let done = 0;
        const exec = async () => {
          const cpu0 = sampleProc(Deno.pid)!.cpuSecs;
          const t0 = performance.now();
          publishCommand(nats.nc, SUBJECT.commandsAll, {
            id: "scale-echo",
            script: "Get-Service | Format-Table",
            timeout_secs: 120,
          });
          done += agents;
          await fleet.waitForResults(done, 300_000);
          return {
            usPerAgent: (sampleProc(Deno.pid)!.cpuSecs - cpu0) / agents * 1e6,
            ms: performance.now() - t0,
          };
        };
        await exec(); // warm-up: the first run's code paths and the history reach their caps
        for (let r = 0; r < runs; r++) {
          const e = await exec();
          cpuUs.push(e.usPerAgent);
          wallMs.push(e.ms);
          ctx.log(
            `run ${r + 1}: ${e.usPerAgent.toFixed(1)} µs CPU per agent, ${e.ms.toFixed(0)} ms`,
          );
        }
      } finally {
        await fleet.stop();
      }
    } finally {
      await nats.close();
      await broker.stop();
    }
    const note =
      `${agents} agents in one process, ${runs} execs to all after a warm-up; load ${loadAvg()}`;
    return [
      {
        name: "simulator CPU per agent per exec to all",
        median: median(cpuUs),
        unit: "µs",
        samples: cpuUs,
        note,
      },
      {
        name: "exec to all until every result is acked (simulator side)",
        median: median(wallMs),
        unit: "ms",
        samples: wallMs,
        note,
      },
    ] satisfies BenchRow[];
  },
};
