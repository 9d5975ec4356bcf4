/**
 * `deno task fleet [options]`: simulated kanade agents until Ctrl-C (`--help` lists the
 * options). Large fleets are spread over several processes (orchestrator.ts); each process
 * runs its slice of the agent ids with `startFleet`, waiting for (or creating, `--setup`) the
 * JetStream resources first. Stats go to stderr every `--report-secs` as `fleet: {json}`,
 * with the simulator's own CPU and RSS.
 */
import { connect } from "@nats-io/transport-node";
import { startFleet } from "./fleet.ts";
import { Churn } from "./churn.ts";
import { BEHAVIOURS, behaviourStats } from "./behaviours.ts";
import {
  bootSpreadMs,
  type CliOptions,
  parseArgs,
  pcIdOf,
  processCount,
  usage,
} from "./cli_args.ts";
import { runProcesses } from "./orchestrator.ts";
import { UsageMeter } from "./self_report.ts";
import { prng } from "./util.ts";

export { parseArgs } from "./cli_args.ts";

function natsAuth() {
  // Same credentials variables as the backend, for brokers with auth.
  return {
    natsToken: Deno.env.get("KANADE_NATS_TOKEN") || undefined,
    natsUser: Deno.env.get("KANADE_NATS_USER") || undefined,
    natsPassword: Deno.env.get("KANADE_NATS_PASSWORD") || undefined,
  };
}

/** One line and exit 1 when nothing answers at the broker URL. */
async function probeBroker(o: CliOptions): Promise<void> {
  const a = natsAuth();
  try {
    const nc = await connect({
      servers: o.natsUrl.split(",").map((s) => s.trim()),
      token: a.natsToken,
      user: a.natsUser,
      pass: a.natsPassword,
      timeout: 5000,
      name: "kanade-fleet-probe",
    });
    await nc.close();
  } catch (e) {
    console.error(`fleet: cannot reach the broker at ${o.natsUrl}: ${(e as Error).message}`);
    Deno.exit(1);
  }
}

async function runOne(o: CliOptions): Promise<void> {
  const t0 = Date.now();
  const [start, end] = o.slice ?? [0, o.agents];
  const ids: string[] = [];
  for (let i = start; i < end; i++) ids.push(pcIdOf(o.prefix, i, o.agents));
  let stopping = false;
  const fleet = await startFleet({
    natsUrl: o.natsUrl,
    agents: ids,
    groups: o.groups.length ? (_pc, i) => [o.groups[(start + i) % o.groups.length]] : undefined,
    writeGroups: o.groups.length > 0,
    failRate: o.failRate,
    latencyMs: o.latencyMs,
    connections: o.connections,
    maxInflight: o.maxInflight,
    seed: o.seed === undefined ? undefined : o.seed + start,
    heartbeatIntervalMs: o.heartbeatMs,
    bootSpreadMs: bootSpreadMs(o),
    perf: o.perf,
    realisticOutput: o.output === "realistic",
    history: "minimal",
    keepResults: false,
    setup: o.setup,
    waitForResources: true,
    ...natsAuth(),
    log: (m) => console.error(m),
  }).catch((e) => {
    console.error(`fleet: ${(e as Error).message}`);
    Deno.exit(1);
  });
  console.error(`fleet: ${ids.length} agents up in ${Date.now() - t0} ms against ${o.natsUrl}`);
  const churn = o.churn > 0
    ? new Churn(fleet, { fraction: o.churn, rand: prng((o.seed ?? Date.now()) + start + 1) })
    : null;
  churn?.start();
  const meter = new UsageMeter();
  meter.read(["self"]);
  const report = setInterval(() => {
    const churnStats = churn ? { churn_offline: churn.stats.offline } : {};
    console.error(
      `fleet: ${
        JSON.stringify({
          ...fleet.stats(),
          ...churnStats,
          ...behaviourStats(),
          ...meter.read(["self"]),
        })
      }`,
    );
  }, o.reportMs);
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(report);
    churn?.stop();
    await fleet.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);
}

if (import.meta.main) {
  let o: CliOptions;
  try {
    o = parseArgs(Deno.args, Deno.env.toObject());
    // Behaviour flag values are checked here, before anything connects (each child of a
    // multi-process fleet parses and configures its own copy).
    for (const b of BEHAVIOURS) b.configure?.(o.extra);
  } catch (e) {
    console.error(`fleet: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (o.help) {
    console.log(usage());
    Deno.exit(0);
  }
  await probeBroker(o);
  const n = processCount(o);
  if (n > 1) Deno.exit(await runProcesses(o, Deno.args, n));
  await runOne(o);
}
