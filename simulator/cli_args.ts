/** The `deno task fleet` arguments (pure parsing; main.ts runs them). */
import { BEHAVIOURS } from "./behaviours.ts";

export interface CliOptions {
  agents: number;
  /** Child processes; 0 = one per `AGENTS_PER_PROCESS` agents. */
  processes: number;
  groups: string[];
  failRate: number;
  latencyMs: number;
  natsUrl: string;
  prefix: string;
  connections: number;
  /** JetStream publishes awaiting an ack at once, per process (0 = no cap). */
  maxInflight: number;
  seed?: number;
  churn: number;
  /** Fixed heartbeat interval; unset = from KV agent_config (30 s by default). */
  heartbeatMs?: number;
  /** Spread of the first heartbeats; unset = agents / 5,000 s, at least 1 s. */
  bootMs?: number;
  perf: boolean;
  output: "realistic" | "short";
  setup: boolean;
  reportMs: number;
  help: boolean;
  /** Internal (a child process of several): the agent index range [start, end). */
  slice?: [number, number];
  /** Values of behaviour flags (behaviours.ts). */
  extra: Map<string, string>;
}

/** Agents one process runs when `--processes` is left to the simulator. */
export const AGENTS_PER_PROCESS = 25_000;

export const USAGE = `deno task fleet [options]   simulated kanade agents until Ctrl-C

  --agents N            agents to run (default 10); ids <prefix><0001..>
  --processes N         processes to spread them over (default: one per ${AGENTS_PER_PROCESS} agents)
  --groups a,b          agent i joins group i mod k; memberships written to KV agent_groups
  --churn p             about p (0..1) of the fleet offline at any time, 10-60 s at a time;
                        agents coming back replay the commands they missed
  --fail-rate p         probability that a run that would exit 0 exits 1
  --latency ms          extra run time per attempt (0.5x..1.5x)
  --heartbeat-secs s    fixed heartbeat interval (default: KV agent_config, 30 s)
  --boot-secs s         spread of the first heartbeats (default: agents / 5000, at least 1)
  --output realistic|short
                        output of scripts the simulator does not interpret: realistic sizes
                        (median 600 B, p99 ~20 KiB; default) or one short line
  --no-perf             no host_perf / process_perf samples
  --connections N       shared NATS connections per process (default 4)
  --max-inflight N      JetStream publishes awaiting their ack at once, per process
                        (default 1000; 0 = no cap): agents queue instead of all timing out
                        together when an exec reaches the whole fleet at once
  --seed n              seed of the random choices
  --nats url            broker (default KANADE_NATS_URL or nats://127.0.0.1:4222);
                        KANADE_NATS_TOKEN / _USER / _PASSWORD as for the backend
  --setup               create the JetStream streams and buckets when missing, instead of
                        waiting for the backend to create them
  --report-secs s       cadence of the stats line on stderr (default 10)
  --help                this text

Every report line is 'fleet: {json}' with the fleet's and the behaviours' counters and the
simulator's own cpu_pct (of one core, all its processes) and rss_mib, so a benchmark can tell
them apart from the backend's.`;

function behaviourUsage(): string {
  // Laid out like the options above: a long flag puts its help on the next line.
  const lines = BEHAVIOURS.flatMap((b) =>
    (b.flags ?? []).map((f) => {
      const lhs = `${f.flag} ${f.value}`;
      const help = `${f.help} (${b.name})`;
      return lhs.length < 22 ? `  ${lhs.padEnd(22)}${help}` : `  ${lhs}\n${" ".repeat(24)}${help}`;
    })
  );
  return lines.length ? `\n\nBehaviours:\n${lines.join("\n")}` : "";
}

export function usage(): string {
  return USAGE + behaviourUsage();
}

export function parseArgs(args: string[], env: Record<string, string | undefined>): CliOptions {
  const opts: CliOptions = {
    agents: 10,
    processes: 0,
    groups: [],
    failRate: 0,
    latencyMs: 0,
    natsUrl: env.KANADE_NATS_URL || "nats://127.0.0.1:4222",
    prefix: "PC-",
    connections: 4,
    maxInflight: 1000,
    churn: 0,
    perf: true,
    output: "realistic",
    setup: false,
    reportMs: 10_000,
    help: false,
    extra: new Map(),
  };
  const behaviourFlags = new Set(BEHAVIOURS.flatMap((b) => (b.flags ?? []).map((f) => f.flag)));
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
      case "--processes":
        opts.processes = Math.floor(num(flag, val(), 1, 64));
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
      case "--max-inflight":
        opts.maxInflight = Math.floor(num(flag, val(), 0, 1_000_000));
        break;
      case "--seed":
        opts.seed = Math.floor(num(flag, val(), 0, 2 ** 32));
        break;
      case "--churn":
        opts.churn = num(flag, val(), 0, 1);
        break;
      case "--heartbeat-secs":
        opts.heartbeatMs = Math.round(num(flag, val(), 0.05, 86_400) * 1000);
        break;
      case "--boot-secs":
        opts.bootMs = Math.round(num(flag, val(), 0, 3600) * 1000);
        break;
      case "--output": {
        const v = val();
        if (v !== "realistic" && v !== "short") {
          throw new Error(`--output needs realistic or short, got '${v ?? ""}'`);
        }
        opts.output = v;
        break;
      }
      case "--no-perf":
        opts.perf = false;
        break;
      case "--setup":
        opts.setup = true;
        break;
      case "--report-secs":
        opts.reportMs = Math.round(num(flag, val(), 0.1, 3600) * 1000);
        break;
      case "--help":
      case "-h":
        opts.help = true;
        break;
      case "--slice": {
        const m = /^(\d+):(\d+)$/.exec(val() ?? "");
        if (!m || Number(m[1]) >= Number(m[2])) throw new Error("--slice needs start:end");
        opts.slice = [Number(m[1]), Number(m[2])];
        break;
      }
      default:
        if (behaviourFlags.has(flag)) {
          const v = val();
          if (v === undefined) throw new Error(`${flag} needs a value`);
          opts.extra.set(flag, v);
          break;
        }
        throw new Error(`unknown argument '${args[i]}' (see --help)`);
    }
  }
  if (opts.slice && opts.slice[1] > opts.agents) throw new Error("--slice beyond --agents");
  return opts;
}

/** The process count for these options (explicit, or one per AGENTS_PER_PROCESS agents). */
export function processCount(o: CliOptions): number {
  if (o.slice) return 1;
  const n = o.processes || Math.ceil(o.agents / AGENTS_PER_PROCESS);
  return Math.max(1, Math.min(n, o.agents));
}

/** Pure: the agent index ranges [start, end) of `processes` children. */
export function slices(agents: number, processes: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < processes; i++) {
    out.push([Math.floor((i * agents) / processes), Math.floor(((i + 1) * agents) / processes)]);
  }
  return out;
}

/** The pc id of agent index `i` (0-based) in a fleet of `agents`. */
export function pcIdOf(prefix: string, i: number, agents: number): string {
  return prefix + String(i + 1).padStart(Math.max(4, String(agents).length), "0");
}

/** The first-heartbeat spread (ms) for a fleet of `agents`. */
export function bootSpreadMs(o: CliOptions): number {
  return o.bootMs ?? Math.max(1000, Math.round((o.agents / 5000) * 1000));
}
