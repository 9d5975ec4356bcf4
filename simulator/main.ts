/**
 * `deno task fleet --agents N [--groups a,b] [--fail-rate p] [--latency ms] [--nats url]
 *  [--prefix PC-] [--connections 4] [--seed n] [--churn p]`
 *
 * Runs N simulated agents until Ctrl-C. With `--groups`, agent i joins group i mod k and
 * the memberships are written to KV `agent_groups`. `--churn p` takes a random fraction p
 * of the fleet offline for 10–60 s at a time (replaying missed commands when back).
 * The broker URL defaults to `KANADE_NATS_URL`; `KANADE_NATS_TOKEN` / `_USER` / `_PASSWORD`
 * are used as the backend uses them.
 */
import { startFleet } from "./fleet.ts";

export interface CliOptions {
  agents: number;
  groups: string[];
  failRate: number;
  latencyMs: number;
  natsUrl: string;
  prefix: string;
  connections: number;
  seed?: number;
  churn: number;
}

export function parseArgs(args: string[], env: Record<string, string | undefined>): CliOptions {
  const opts: CliOptions = {
    agents: 10,
    groups: [],
    failRate: 0,
    latencyMs: 0,
    natsUrl: env.KANADE_NATS_URL || "nats://127.0.0.1:4222",
    prefix: "PC-",
    connections: 4,
    churn: 0,
  };
  const num = (flag: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (v === undefined || v === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new Error(`${flag} needs a number in [${min}, ${max}], got '${v ?? ""}'`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const val = () => inline ?? args[++i];
    switch (flag) {
      case "--agents":
        opts.agents = Math.floor(num(flag, val(), 1, 1_000_000));
        break;
      case "--groups":
        opts.groups = (val() ?? "").split(",").map((s) => s.trim()).filter(Boolean);
        break;
      case "--fail-rate":
        opts.failRate = num(flag, val(), 0, 1);
        break;
      case "--latency":
        opts.latencyMs = num(flag, val(), 0, 3_600_000);
        break;
      case "--nats":
        opts.natsUrl = val() ?? "";
        if (!opts.natsUrl) throw new Error("--nats needs a URL");
        break;
      case "--prefix":
        opts.prefix = val() ?? "";
        break;
      case "--connections":
        opts.connections = Math.floor(num(flag, val(), 1, 64));
        break;
      case "--seed":
        opts.seed = Math.floor(num(flag, val(), 0, 2 ** 32));
        break;
      case "--churn":
        opts.churn = num(flag, val(), 0, 1);
        break;
      default:
        throw new Error(`unknown argument '${args[i]}'`);
    }
  }
  return opts;
}

if (import.meta.main) {
  let o: CliOptions;
  try {
    o = parseArgs(Deno.args, Deno.env.toObject());
  } catch (e) {
    console.error(`fleet: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const t0 = Date.now();
  const fleet = await startFleet({
    natsUrl: o.natsUrl,
    agents: o.agents,
    prefix: o.prefix,
    groups: o.groups.length ? (_pc, i) => [o.groups[i % o.groups.length]] : undefined,
    writeGroups: o.groups.length > 0,
    failRate: o.failRate,
    latencyMs: o.latencyMs,
    connections: o.connections,
    seed: o.seed,
    // Same credentials variables as the backend, for brokers with auth.
    natsToken: Deno.env.get("KANADE_NATS_TOKEN") || undefined,
    natsUser: Deno.env.get("KANADE_NATS_USER") || undefined,
    natsPassword: Deno.env.get("KANADE_NATS_PASSWORD") || undefined,
    log: (m) => console.error(m),
  });
  console.error(`fleet: ${o.agents} agents up in ${Date.now() - t0} ms against ${o.natsUrl}`);
  const report = setInterval(
    () => console.error(`fleet: ${JSON.stringify(fleet.stats())}`),
    10_000,
  );
  let churn: ReturnType<typeof setInterval> | undefined;
  if (o.churn > 0) {
    churn = setInterval(() => {
      for (const pc of fleet.pcIds) {
        if (Math.random() < o.churn / 10) {
          fleet.setOnline(pc, false);
          setTimeout(() => fleet.setOnline(pc, true), 10_000 + Math.random() * 50_000);
        }
      }
    }, 10_000);
  }
  const shutdown = async () => {
    clearInterval(report);
    clearInterval(churn);
    await fleet.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);
}
