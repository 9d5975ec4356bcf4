/**
 * Fleet simulator: thousands of kanade agents in one process speaking the agent's side of
 * the protocol (protocol.md §2, §3.4, §4.1–§4.8, §4.12–§4.13) over a few shared NATS
 * connections. Each connection subscribes a handful of wildcards once (`commands.>`,
 * `kill.*`, `agents.*.ping`, `logs.fetch.*`, `job.tail.*`) and routes every message
 * in-process to the agents that would have received it on their own subscriptions, so the
 * behaviour equals per-agent subscriptions at a fraction of the cost.
 *
 * Per agent: heartbeats at the interval resolved from KV `agent_config` (watched), groups
 * from KV `agent_groups` (watched), request_id de-dup (FIFO 1024), the §4.1 gates in order,
 * `script_object` fetch + sha256, jitter, `events.started`, a simulated run (script.ts),
 * kill / timeout / retry, the ExecResult through a per-agent outbox (JetStream publish, retried
 * every second until the PubAck; large output via `result_output`), and EXEC replay after
 * coming back online (ordered consumer on `commands.>`, last_per_subject, non-addressed
 * messages dropped, as agents before #483 did; nats-server 2.9 has no multi-filter).
 *
 * Deviations, on purpose: `script_object` fetch/sha failures publish exit 1 with a reason
 * (upstream only logs); `timeout_secs: 0` means no timeout; a fresh fleet does not replay
 * commands that were already in EXEC when it started unless `replayOnStart` is set.
 */
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import {
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  jetstreamManager,
} from "@nats-io/jetstream";
import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import { type ObjectStore, Objm } from "@nats-io/obj";
import {
  BUCKET,
  KEY_AGENT_CONFIG_GLOBAL,
  OBJECT_STORE,
  PREFIX_AGENT_CONFIG_GROUPS,
  PREFIX_AGENT_CONFIG_PCS,
  STDOUT_INLINE_THRESHOLD,
  STREAM,
  SUBJECT,
  subjects,
} from "../wire/names.ts";
import {
  type Command,
  CommandSchema,
  encodeEventStarted,
  encodeExecResult,
  encodeHeartbeat,
  type ExecResult,
  type Heartbeat,
} from "../wire/messages.ts";
import {
  type ConfigScope,
  ConfigScopeSchema,
  type EffectiveConfig,
  resolveEffectiveConfig,
} from "../wire/config_scope.ts";
import { decodeAgentGroups, encodeAgentGroups, normalizeGroups } from "../wire/agent_groups.ts";
import { parseDurationMs } from "../wire/duration.ts";
import { wireTs } from "../wire/time.ts";
import { encodeHostPerf, encodeProcessPerf } from "../wire/perf.ts";
import { expand, parseScript, type Program } from "./script.ts";
import { runGates, type Skip } from "./gates.ts";

export interface FleetOptions {
  natsUrl: string;
  /** A count (ids `<prefix><0001..>`) or explicit pc ids. */
  agents: number | string[];
  prefix?: string;
  /** Initial groups per agent; authoritative only until KV `agent_groups` has an entry. */
  groups?: Record<string, string[]> | ((pcId: string, i: number) => string[]);
  /** Also write `groups` into KV `agent_groups` (the backend/API does this in real life). */
  writeGroups?: boolean;
  /** Probability that a run that would exit 0 exits 1 instead. */
  failRate?: number;
  /** Extra run time per attempt, uniformly 0.5×..1.5× this value. */
  latencyMs?: number;
  /** Fixed heartbeat interval; when unset the interval comes from KV `agent_config`. */
  heartbeatIntervalMs?: number;
  /** Shared NATS connections (default 4, never more than the agent count). */
  connections?: number;
  agentVersion?: string;
  /** Seed of the simulator's PRNG (jitter, fail rate, perf numbers). */
  seed?: number;
  /** Replay commands already in EXEC when the fleet starts (a brand-new real agent does). */
  replayOnStart?: boolean;
  /** Publish `host_perf` / `process_perf` samples per the effective config (default true). */
  perf?: boolean;
  /** Follow `target_version` from KV `agent_config` like the real agent (default true). */
  selfUpdate?: boolean;
  /** Start with these agents offline. */
  offline?: string[];
  natsToken?: string;
  natsUser?: string;
  natsPassword?: string;
  log?: (msg: string) => void;
}

export interface RunView {
  resultId: string;
  requestId: string;
  execId: string | null;
  manifestId: string;
  running: boolean;
  stdout: string;
  stderr: string;
  attempts: number;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface AgentView {
  pcId: string;
  /** Running agent version (follows `target_version` when self-update is on). */
  version: string;
  online: boolean;
  groups: string[];
  heartbeatIntervalMs: number;
  heartbeatsSent: number;
  /** Commands handed to the agent after de-dup (newest last, last 200 kept). */
  commands: Command[];
  /** Runs (newest last, last 64 kept). */
  runs: RunView[];
  /** Results published and acked (newest last, last 200 kept). */
  results: ExecResult[];
  /** Commands dropped as duplicates. */
  duplicates: number;
  /** Test hook: pretend the broker has been out of reach this long (staleness gate). */
  simulateDisconnectedMs: number | null;
}

export interface FleetStats {
  agents: number;
  online: number;
  heartbeats: number;
  commands: number;
  duplicates: number;
  results: number;
  running: number;
  publishRetries: number;
  selfUpdates: number;
}

export interface Fleet {
  pcIds: string[];
  agent(pcId: string): AgentView;
  setOnline(pcId: string, online: boolean): void;
  /** Resolves once `n` commands in total were handed to agents (after de-dup). */
  waitForCommands(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `n` results in total were acked by JetStream. */
  waitForResults(n: number, timeoutMs?: number): Promise<void>;
  /** Every acked result, in publish order. */
  results(): ExecResult[];
  stats(): FleetStats;
  stop(): Promise<void>;
}

const DEFAULT_INTERVAL_MS = 30_000;
const DEDUP_CAP = 1024;
const KEEP_COMMANDS = 200;
const KEEP_RESULTS = 200;
const KEEP_RUNS = 64;
const KEEP_LOG_LINES = 300;
const LOGS_REPLY_CAP = 800 * 1024;
const TAIL_CAP = 256 * 1024;
const te = new TextEncoder();
const PROCESS_NAMES = [
  "System",
  "svchost.exe",
  "MsMpEng.exe",
  "explorer.exe",
  "chrome.exe",
  "msedge.exe",
  "Teams.exe",
  "OneDrive.exe",
  "SearchIndexer.exe",
  "dwm.exe",
  "kanade-agent.exe",
  "OUTLOOK.EXE",
  "WINWORD.EXE",
  "EXCEL.EXE",
  "spoolsv.exe",
  "lsass.exe",
  "csrss.exe",
  "services.exe",
  "winlogon.exe",
  "RuntimeBroker.exe",
  "audiodg.exe",
  "TiWorker.exe",
];
// Subject prefixes derived from the names.ts helpers (no subject is spelled here).
const KILL_PREFIX = subjects.kill("");
const LOGS_PREFIX = subjects.logsFetch("");
const TAIL_PREFIX = subjects.jobTail("");
const [PING_PRE, PING_POST] = subjects.ping("\u0000").split("\u0000");
const td = new TextDecoder();

/** mulberry32: small deterministic PRNG so `seed` reproduces a run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Keep the last `cap` items of an array in place. */
function pushCapped<T>(arr: T[], item: T, cap: number) {
  arr.push(item);
  if (arr.length > cap) arr.splice(0, arr.length - cap);
}

// ------------------------------------------------------------------ connections

class Link {
  readonly agents = new Map<string, Agent>();
  /** exec_id → runs currently executing (kill routing). */
  readonly runsByExec = new Map<string, Set<RunCtl>>();
  disconnectedAt: number | null = null;
  private kvs = new Map<string, Promise<KV | null>>();
  private objs = new Map<string, Promise<ObjectStore | null>>();

  constructor(readonly nc: NatsConnection, readonly js: JetStreamClient) {}

  kv(bucket: string): Promise<KV | null> {
    let p = this.kvs.get(bucket);
    if (!p) {
      p = new Kvm(this.js).open(bucket, { bindOnly: true }).catch(() => null);
      this.kvs.set(bucket, p);
      // A bucket created later (backend started after us) must become visible.
      p.then((v) => v ?? this.kvs.delete(bucket));
    }
    return p;
  }

  obj(bucket: string): Promise<ObjectStore | null> {
    let p = this.objs.get(bucket);
    if (!p) {
      p = new Objm(this.js).open(bucket).catch(() => null);
      this.objs.set(bucket, p);
      p.then((v) => v ?? this.objs.delete(bucket));
    }
    return p;
  }

  async kvString(bucket: string, key: string): Promise<string | null> {
    const kv = await this.kv(bucket);
    if (!kv) return null;
    try {
      const e = await kv.get(key);
      if (!e || e.operation !== "PUT") return null;
      return td.decode(e.value).trim();
    } catch {
      return null;
    }
  }

  disconnectedMs(): number {
    return this.disconnectedAt === null ? 0 : Date.now() - this.disconnectedAt;
  }
}

// ------------------------------------------------------------------ runs

class RunCtl {
  killed = false;
  timedOut = false;
  private wakers = new Set<() => void>();
  constructor(readonly view: RunView, readonly agent: Agent) {}

  /** Sleep that kill (and timeout) interrupt; true when it ran to the end. */
  sleep(ms: number): Promise<boolean> {
    if (this.killed || this.timedOut) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.wakers.delete(wake);
        resolve(false);
      };
      const t = setTimeout(() => {
        this.wakers.delete(wake);
        resolve(true);
      }, ms);
      this.wakers.add(wake);
    });
  }

  interrupt(kind: "kill" | "timeout") {
    if (kind === "kill") this.killed = true;
    else this.timedOut = true;
    for (const w of [...this.wakers]) w();
  }
}

interface AttemptOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  killed: boolean;
  timedOut: boolean;
}

// ------------------------------------------------------------------ agent

class Agent implements AgentView {
  online = true;
  groups: string[] = [];
  heartbeatIntervalMs = DEFAULT_INTERVAL_MS;
  heartbeatsSent = 0;
  commands: Command[] = [];
  runs: RunView[] = [];
  results: ExecResult[] = [];
  duplicates = 0;
  simulateDisconnectedMs: number | null = null;
  /** EXEC stream sequence this agent has replayed up to (its durable's ack floor). */
  ackSeq = 0;
  logLines: string[] = [];
  hbTimer: ReturnType<typeof setTimeout> | undefined;
  perfTimer: ReturnType<typeof setTimeout> | undefined;
  private perfIntervalMs = 0;
  private perfEff: EffectiveConfig | null = null;
  private perfState: { cpu: number; memTotal: number; memUsed: number; cpus: number } | null = null;
  nextBeatAt = 0;
  private seen = new Set<string>();
  private seenOrder: string[] = [];
  private outbox: Promise<void> = Promise.resolve();
  private rss = 40_000_000;
  private diskRead = 0;
  private diskWritten = 0;

  /** The running agent version; changes when the agent updates itself to `target_version`. */
  version: string;
  updateTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingTarget: string | null = null;
  private updateRetrying = false;

  constructor(readonly pcId: string, readonly link: Link, readonly fleet: FleetImpl) {
    this.version = fleet.agentVersion;
  }

  /**
   * Perf sampling (§4.9–§4.10): `host_perf.<pc>` every `host_perf_interval`, plus
   * `process_perf.<pc>` (top-N processes) while `process_perf_enabled` and not expired.
   * Numbers are a plausible random walk; phases are spread over the interval.
   */
  configurePerf(eff: EffectiveConfig) {
    this.perfEff = eff;
    let ms = 60_000;
    try {
      ms = Math.max(100, parseDurationMs(eff.host_perf_interval));
    } catch { /* keep the default */ }
    if (ms === this.perfIntervalMs && this.perfTimer !== undefined) return;
    this.perfIntervalMs = ms;
    clearTimeout(this.perfTimer);
    const tick = () => {
      if (this.fleet.stopped) return;
      this.publishPerf();
      this.perfTimer = setTimeout(tick, this.perfIntervalMs);
    };
    this.perfTimer = setTimeout(tick, Math.floor(this.fleet.rand() * ms));
  }

  private publishPerf() {
    if (!this.online || this.link.nc.isClosed() || !this.perfEff) return;
    const r = this.fleet.rand;
    const st = this.perfState ??= {
      cpu: 5 + r() * 20,
      cpus: r() < 0.5 ? 4 : 8,
      memTotal: (r() < 0.5 ? 8 : 16) * 2 ** 30,
      memUsed: 0.5,
    };
    st.cpu = Math.min(100, Math.max(0.5, st.cpu + (r() - 0.5) * 10));
    st.memUsed = Math.min(0.95, Math.max(0.2, st.memUsed + (r() - 0.5) * 0.05));
    const at = wireTs(Date.now());
    const round = (x: number) => Math.round(x * 10) / 10;
    try {
      this.link.nc.publish(
        subjects.hostPerf(this.pcId),
        JSON.stringify(encodeHostPerf({
          pc_id: this.pcId,
          at,
          cpu_pct: round(st.cpu),
          cpu_count: st.cpus,
          mem_used_bytes: Math.round(st.memTotal * st.memUsed),
          mem_total_bytes: st.memTotal,
          swap_used_bytes: Math.round(2 ** 30 * r()),
          swap_total_bytes: 4 * 2 ** 30,
          disk_read_bytes_per_sec: round(r() * 5e6),
          disk_written_bytes_per_sec: round(r() * 2e6),
          net_rx_bytes_per_sec: round(r() * 1e6),
          net_tx_bytes_per_sec: round(r() * 3e5),
        })),
      );
      const eff = this.perfEff;
      const expires = eff.process_perf_expires_at ? Date.parse(eff.process_perf_expires_at) : NaN;
      if (eff.process_perf_enabled && !(expires <= Date.now())) {
        const processes = PROCESS_NAMES.map((name, i) => ({
          pid: 400 + i * 4,
          name,
          cpu_pct: round(r() * st.cpu),
          rss_bytes: Math.round((20 + r() * 400) * 2 ** 20),
          disk_read_bytes_per_sec: round(r() * 1e5),
          disk_written_bytes_per_sec: round(r() * 5e4),
        })).sort((a, b) => b.cpu_pct - a.cpu_pct).slice(0, eff.process_perf_top_n);
        this.link.nc.publish(
          subjects.processPerf(this.pcId),
          JSON.stringify(encodeProcessPerf({ pc_id: this.pcId, at, processes })),
        );
      }
    } catch { /* disconnected: the next tick tries again */ }
  }

  /**
   * Self-update like the real agent: when the effective `target_version` differs from the
   * running version, wait a random delay in [0, target_version_jitter), check the release
   * exists in `agent_releases`, then "restart" on it (next heartbeats carry the new version).
   * The binary is not downloaded (thousands of simulated agents would pull gigabytes).
   */
  considerUpdate(eff: EffectiveConfig) {
    const target = eff.target_version;
    if (!target || target === this.version) {
      clearTimeout(this.updateTimer);
      this.pendingTarget = null;
      return;
    }
    // Already waiting out the jitter for this target; a failed attempt is retried at once.
    if (this.pendingTarget === target && !this.updateRetrying) return;
    this.pendingTarget = target;
    this.updateRetrying = false;
    clearTimeout(this.updateTimer);
    let jitterMs = 0;
    try {
      jitterMs = parseDurationMs(eff.target_version_jitter);
    } catch { /* unparseable jitter: update at once */ }
    this.updateTimer = setTimeout(
      () => this.selfUpdate(target),
      Math.floor(this.fleet.rand() * jitterMs),
    );
  }

  private async selfUpdate(target: string) {
    if (this.fleet.stopped || this.pendingTarget !== target) return;
    const retry = (ms: number) => {
      this.updateRetrying = true;
      this.updateTimer = setTimeout(() => this.selfUpdate(target), ms);
    };
    if (!this.online) return retry(1000);
    const os = await this.link.obj(OBJECT_STORE.agentReleases);
    const info = os ? await os.info(target).catch(() => null) : null;
    if (!info || info.deleted) {
      this.log("WARN", `self-update: release ${target} not in ${OBJECT_STORE.agentReleases}`);
      return retry(30_000);
    }
    if (this.fleet.stopped || this.pendingTarget !== target) return;
    this.log("INFO", `self-update ${this.version} -> ${target}; restarting`);
    this.version = target;
    this.pendingTarget = null;
    this.updateRetrying = false;
    this.fleet.counters.selfUpdates++;
    if (this.hbTimer !== undefined) this.scheduleHeartbeat(0); // the new version reports at once
  }

  log(level: string, msg: string) {
    pushCapped(
      this.logLines,
      `${wireTs(Date.now())} ${level} kanade_agent: ${msg}`,
      KEEP_LOG_LINES,
    );
  }

  /** Step 1: true when the request_id is new (bounded FIFO of the last 1024). */
  private firstSight(requestId: string): boolean {
    if (this.seen.has(requestId)) return false;
    this.seen.add(requestId);
    this.seenOrder.push(requestId);
    if (this.seenOrder.length > DEDUP_CAP) this.seen.delete(this.seenOrder.shift()!);
    return true;
  }

  heartbeat(withPerf: boolean): Heartbeat {
    const hb: Heartbeat = {
      pc_id: this.pcId,
      at: wireTs(Date.now()),
      agent_version: this.version,
      hostname: this.pcId,
      os_family: "windows",
    };
    if (withPerf && this.heartbeatsSent > 0) {
      const r = this.fleet.rand;
      this.rss = Math.max(20_000_000, this.rss + Math.round((r() - 0.5) * 1_000_000));
      this.diskRead += Math.round(r() * 65536);
      this.diskWritten += Math.round(r() * 32768);
      hb.agent_cpu_pct = Math.round(r() * 30) / 10;
      hb.agent_rss_bytes = this.rss;
      hb.agent_disk_read_bytes = this.diskRead;
      hb.agent_disk_written_bytes = this.diskWritten;
    }
    return hb;
  }

  sendHeartbeat() {
    if (!this.online || this.fleet.stopped || this.link.nc.isClosed()) return;
    try {
      this.link.nc.publish(
        subjects.heartbeat(this.pcId),
        JSON.stringify(encodeHeartbeat(this.heartbeat(true))),
      );
      this.heartbeatsSent++;
      this.fleet.counters.heartbeats++;
    } catch { /* disconnected: the next beat will try again */ }
  }

  /** (Re)arm the heartbeat timer: the next beat no later than one interval from now. */
  scheduleHeartbeat(firstDelayMs?: number) {
    if (this.fleet.stopped) return;
    const now = Date.now();
    const interval = this.heartbeatIntervalMs;
    let due = firstDelayMs !== undefined ? now + firstDelayMs : now + interval;
    if (firstDelayMs === undefined && this.nextBeatAt > now) {
      due = Math.min(this.nextBeatAt, now + interval);
    }
    clearTimeout(this.hbTimer);
    this.nextBeatAt = due;
    this.hbTimer = setTimeout(() => {
      const first = this.heartbeatsSent === 0;
      this.sendHeartbeat();
      // Real agents boot at random moments: after the boot beat, move to a random phase of
      // the interval, then jitter ±5 % so thousands of agents never beat in lock-step.
      const j = first ? 0.05 + 0.95 * this.fleet.rand() : 1 + (this.fleet.rand() - 0.5) / 10;
      this.nextBeatAt = 0;
      this.scheduleHeartbeat(Math.max(10, Math.round(this.heartbeatIntervalMs * j)));
    }, Math.max(0, due - now));
  }

  addressedBy(subject: string): boolean {
    if (subject === SUBJECT.commandsAll) return true;
    if (subject === subjects.commandsPc(this.pcId)) return true;
    if (subject.startsWith(SUBJECT.commandsGroupPrefix)) {
      return this.groups.includes(subject.slice(SUBJECT.commandsGroupPrefix.length));
    }
    return false;
  }

  /** The whole §4.1 pipeline for one Command copy. */
  async handle(cmd: Command, shared: SharedLookups): Promise<void> {
    if (!this.firstSight(cmd.request_id)) {
      this.duplicates++;
      this.fleet.counters.duplicates++;
      return;
    }
    pushCapped(this.commands, cmd, KEEP_COMMANDS);
    this.fleet.counters.commands++;
    this.fleet.notify();
    this.log("INFO", `command received id=${cmd.id} request_id=${cmd.request_id}`);

    const receivedAt = Date.now();
    const skip = await runGates({
      cmd,
      nowMs: receivedAt,
      disconnectedMs: this.simulateDisconnectedMs ?? this.link.disconnectedMs(),
      scriptCurrent: shared.scriptCurrent,
      scriptStatus: shared.scriptStatus,
    });
    if (skip) return this.publishSkip(cmd, skip);

    let program: Program;
    try {
      program = parseScript(await this.resolveScript(cmd, shared));
    } catch (e) {
      return this.publishSkip(cmd, { exitCode: 1, stderr: (e as Error).message });
    }

    if (cmd.jitter_secs && cmd.jitter_secs > 0) {
      await sleep(Math.floor(this.fleet.rand() * cmd.jitter_secs * 1000));
    }
    if (this.fleet.stopped) return;

    const view: RunView = {
      resultId: crypto.randomUUID(),
      requestId: cmd.request_id,
      execId: cmd.exec_id,
      manifestId: cmd.id,
      running: true,
      stdout: "",
      stderr: "",
      attempts: 0,
      exitCode: null,
      startedAt: wireTs(Date.now()),
      finishedAt: null,
    };
    pushCapped(this.runs, view, KEEP_RUNS);
    this.fleet.counters.running++;
    const ctl = new RunCtl(view, this);
    if (cmd.exec_id) {
      let set = this.link.runsByExec.get(cmd.exec_id);
      if (!set) this.link.runsByExec.set(cmd.exec_id, set = new Set());
      set.add(ctl);
      this.enqueue(
        subjects.eventsStarted(cmd.exec_id, this.pcId),
        () =>
          JSON.stringify(encodeEventStarted({
            result_id: view.resultId,
            request_id: cmd.request_id,
            exec_id: cmd.exec_id!,
            pc_id: this.pcId,
            started_at: view.startedAt,
            manifest_id: cmd.id,
            version: cmd.version,
          })),
      );
    }
    this.log("INFO", `run started result_id=${view.resultId}`);

    let outcome: AttemptOutcome;
    try {
      outcome = await this.runWithRetries(cmd, program, ctl);
    } finally {
      if (cmd.exec_id) {
        const set = this.link.runsByExec.get(cmd.exec_id);
        set?.delete(ctl);
        if (set?.size === 0) this.link.runsByExec.delete(cmd.exec_id);
      }
      view.running = false;
      this.fleet.counters.running--;
    }
    view.exitCode = outcome.exitCode;
    view.finishedAt = wireTs(Date.now());
    this.log("INFO", `run finished result_id=${view.resultId} exit=${outcome.exitCode}`);

    let stdout = outcome.stdout;
    if (cmd.emit && outcome.exitCode === 0) {
      this.publishObs(stdout);
      stdout = "";
    }
    this.publishResult({
      result_id: view.resultId,
      request_id: cmd.request_id,
      exec_id: cmd.exec_id ?? undefined,
      pc_id: this.pcId,
      exit_code: outcome.exitCode,
      stdout,
      stderr: outcome.stderr,
      started_at: view.startedAt,
      finished_at: view.finishedAt,
      manifest_id: cmd.id,
    });
  }

  private async resolveScript(cmd: Command, shared: SharedLookups): Promise<string> {
    if (!cmd.script_object) return cmd.script;
    const key = cmd.script_object;
    const bytes = await shared.scriptObject(key);
    if (!bytes) throw new Error(`script_object ${key}: not found in object store scripts`);
    const got = await sha256Hex(bytes);
    const want = (cmd.script_object_sha256 ?? "").toLowerCase();
    if (got !== want) {
      throw new Error(`script_object ${key}: sha256 mismatch (expected ${want}, got ${got})`);
    }
    return td.decode(bytes);
  }

  private async runWithRetries(cmd: Command, program: Program, ctl: RunCtl) {
    const maxRetries = cmd.retry?.max ?? 0;
    let retries = 0;
    let out: AttemptOutcome;
    for (;;) {
      ctl.timedOut = false;
      ctl.view.attempts++;
      ctl.view.stdout = "";
      ctl.view.stderr = "";
      out = await this.attempt(cmd, program, ctl);
      if (out.killed) break;
      if (out.exitCode === 0 && !out.timedOut) break;
      if (retries >= maxRetries) break;
      const backoffOk = await ctl.sleep((cmd.retry?.backoff_secs ?? 0) * 1000);
      if (!backoffOk && ctl.killed) {
        out = { ...out, killed: true, exitCode: -1 };
        out.stderr = joinNotes(out.stderr, `killed by remote signal (kill.${cmd.exec_id})`);
        break;
      }
      retries++;
    }
    const s = retries === 1 ? "retry" : "retries";
    if (cmd.retry && maxRetries > 0) {
      if (out.killed && retries > 0) {
        out.stderr = joinNotes(
          out.stderr,
          `stopped by remote kill after ${retries} ${s} (#418 on_failure.retry)`,
        );
      } else if (!out.killed && out.exitCode === 0 && retries > 0) {
        out.stderr = joinNotes(
          out.stderr,
          `succeeded after ${retries} ${s} (#418 on_failure.retry)`,
        );
      } else if (!out.killed && out.exitCode !== 0) {
        out.stderr = joinNotes(
          out.stderr,
          `failed after ${retries} retries exhausted (#418 on_failure.retry)`,
        );
      }
    }
    return out;
  }

  /** One simulated execution; kill and timeout end it with exit −1. */
  private async attempt(cmd: Command, program: Program, ctl: RunCtl): Promise<AttemptOutcome> {
    const v = ctl.view;
    const timer = cmd.timeout_secs > 0
      ? setTimeout(() => ctl.interrupt("timeout"), cmd.timeout_secs * 1000)
      : undefined;
    let exitCode = 0;
    try {
      const lat = this.fleet.latencyMs;
      if (lat > 0) await ctl.sleep(Math.round(lat * (0.5 + this.fleet.rand())));
      if (program.kind === "opaque") {
        if (!ctl.killed && !ctl.timedOut) {
          v.stdout += `simulated ${cmd.shell} run on ${this.pcId}: ${program.firstLine}\n`;
        }
      } else {
        for (const op of program.ops) {
          if (ctl.killed || ctl.timedOut) break;
          if (op.op === "echo") v.stdout += expand(op.text, this.pcId) + "\n";
          else if (op.op === "echo_err") v.stderr += expand(op.text, this.pcId) + "\n";
          else if (op.op === "json") v.stdout += expand(op.text, this.pcId) + "\n";
          else if (op.op === "stdout_bytes") v.stdout += "x".repeat(op.n);
          else if (op.op === "stderr_bytes") v.stderr += "x".repeat(op.n);
          else if (op.op === "sleep") await ctl.sleep(op.ms);
          else if (op.op === "exit") {
            exitCode = op.code;
            break;
          } else if (op.op === "fail_rate" && this.fleet.rand() < op.p) {
            v.stderr += "simulated failure (fail_rate)\n";
            exitCode = 1;
            break;
          }
        }
      }
      if (
        !ctl.killed && !ctl.timedOut && exitCode === 0 && this.fleet.failRate > 0 &&
        this.fleet.rand() < this.fleet.failRate
      ) {
        v.stderr += "simulated failure (--fail-rate)\n";
        exitCode = 1;
      }
    } finally {
      clearTimeout(timer);
    }
    let stderr = v.stderr;
    if (ctl.killed) {
      stderr = joinNotes(stderr, `killed by remote signal (kill.${cmd.exec_id})`);
      exitCode = -1;
    } else if (ctl.timedOut) {
      stderr = joinNotes(stderr, `timeout after ${cmd.timeout_secs}s`);
      exitCode = -1;
    }
    return { exitCode, stdout: v.stdout, stderr, killed: ctl.killed, timedOut: ctl.timedOut };
  }

  private publishSkip(cmd: Command, skip: Skip) {
    const now = wireTs(Date.now());
    this.log("WARN", `command skipped id=${cmd.id} exit=${skip.exitCode}: ${skip.stderr}`);
    this.publishResult({
      result_id: crypto.randomUUID(),
      request_id: cmd.request_id,
      exec_id: cmd.exec_id ?? undefined,
      pc_id: this.pcId,
      exit_code: skip.exitCode,
      stdout: "",
      stderr: skip.stderr,
      started_at: now,
      finished_at: now,
      manifest_id: cmd.id,
    });
  }

  private publishObs(stdout: string) {
    for (const line of stdout.split("\n")) {
      if (!line.trim()) continue;
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(line);
        if (!ev || typeof ev !== "object" || Array.isArray(ev)) continue;
      } catch {
        continue;
      }
      const body = JSON.stringify({
        pc_id: this.pcId,
        at: typeof ev.at === "string" ? ev.at : wireTs(Date.now()),
        kind: ev.kind ?? "diagnostic",
        source: ev.source ?? "agent:internal",
        event_record_id: ev.event_record_id ?? null,
        payload: ev.payload ?? null,
      });
      this.enqueue(subjects.obs(this.pcId), () => body);
    }
  }

  private publishResult(r: ExecResult) {
    this.enqueue(subjects.results(r.request_id), async () => {
      const out = { ...r };
      for (const field of ["stdout", "stderr"] as const) {
        const bytes = te.encode(out[field]);
        if (bytes.length > STDOUT_INLINE_THRESHOLD) {
          const key = `${r.request_id}/${field}`;
          const os = await this.link.obj(OBJECT_STORE.resultOutput);
          if (!os) throw new Error(`object store ${OBJECT_STORE.resultOutput} missing`);
          await os.putBlob({ name: key }, bytes);
          out[field] = "";
          out[field === "stdout" ? "stdout_object" : "stderr_object"] = key;
        }
      }
      return JSON.stringify(encodeExecResult(out));
    }, () => {
      pushCapped(this.results, r, KEEP_RESULTS);
      this.fleet.onResult(r);
    });
  }

  /**
   * The agent's on-disk outbox: entries go out in order, each retried every second until
   * JetStream acks it, and only while the agent is online (an offline agent keeps them).
   */
  private enqueue(subject: string, body: () => string | Promise<string>, onAck?: () => void) {
    this.outbox = this.outbox.then(async () => {
      let payload: string | null = null;
      while (!this.fleet.stopped) {
        if (!this.online) {
          await sleep(200);
          continue;
        }
        try {
          payload ??= await body();
          await this.link.js.publish(subject, payload, { timeout: 5000 });
          onAck?.();
          return;
        } catch (e) {
          this.fleet.counters.publishRetries++;
          this.log("WARN", `outbox publish ${subject} failed: ${(e as Error).message}`);
          await sleep(1000);
        }
      }
    });
  }

  // ---- request/reply

  replyPing(msg: Msg) {
    msg.respond(JSON.stringify(encodeHeartbeat(this.heartbeat(false))));
  }

  replyLogs(msg: Msg) {
    let tail = 500;
    try {
      const req = JSON.parse(td.decode(msg.data));
      if (Number.isInteger(req?.tail_lines) && req.tail_lines >= 0) tail = req.tail_lines;
    } catch { /* malformed or empty body: the default */ }
    const lines = tail === 0 ? [] : this.logLines.slice(-tail);
    let text = lines.map((l) => l + "\n").join("");
    let bytes = te.encode(text);
    if (bytes.length > LOGS_REPLY_CAP) {
      // Trim the start on a character boundary.
      let start = bytes.length - LOGS_REPLY_CAP;
      while (start < bytes.length && (bytes[start] & 0xc0) === 0x80) start++;
      bytes = bytes.slice(start);
      text = td.decode(bytes);
    }
    msg.respond(text);
  }

  replyTail(msg: Msg) {
    let resultId = "";
    try {
      const req = JSON.parse(td.decode(msg.data));
      if (typeof req?.result_id === "string") resultId = req.result_id;
    } catch { /* malformed: not found */ }
    const run = resultId ? this.runs.find((r) => r.resultId === resultId) : undefined;
    const cut = (s: string) =>
      s.length > TAIL_CAP ? { text: s.slice(-TAIL_CAP), truncated: true } : {
        text: s,
        truncated: false,
      };
    const o = cut(run?.stdout ?? "");
    const e = cut(run?.stderr ?? "");
    msg.respond(JSON.stringify({
      found: !!run,
      running: run?.running ?? false,
      stdout: o.text,
      stderr: e.text,
      stdout_truncated: o.truncated,
      stderr_truncated: e.truncated,
    }));
  }
}

function joinNotes(stderr: string, note: string): string {
  if (!stderr) return note;
  return stderr.endsWith("\n") ? stderr + note : `${stderr}\n${note}`;
}

/** KV/object lookups for one received message, shared by every agent it is routed to. */
interface SharedLookups {
  scriptCurrent: () => Promise<string | null>;
  scriptStatus: () => Promise<string | null>;
  scriptObject: (key: string) => Promise<Uint8Array | null>;
}

function memo<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

function lookupsFor(link: Link, cmd: Command): SharedLookups {
  const objects = new Map<string, Promise<Uint8Array | null>>();
  return {
    scriptCurrent: memo(() => link.kvString(BUCKET.scriptCurrent, cmd.id)),
    scriptStatus: memo(() => link.kvString(BUCKET.scriptStatus, cmd.id)),
    scriptObject: (key) => {
      let p = objects.get(key);
      if (!p) {
        p = link.obj(OBJECT_STORE.scripts).then((os) => os ? os.getBlob(key) : null).catch(() =>
          null
        );
        objects.set(key, p);
      }
      return p;
    },
  };
}

// ------------------------------------------------------------------ fleet

class FleetImpl implements Fleet {
  pcIds: string[] = [];
  readonly agents = new Map<string, Agent>();
  readonly links: Link[] = [];
  readonly byGroup = new Map<string, Set<Agent>>();
  stopped = false;
  /** Set once the initial KV state is loaded; watch events before that are the initial load. */
  started = false;
  rand: () => number;
  failRate: number;
  latencyMs: number;
  agentVersion: string;
  counters = {
    heartbeats: 0,
    commands: 0,
    duplicates: 0,
    results: 0,
    running: 0,
    publishRetries: 0,
    selfUpdates: 0,
  };
  private allResults: ExecResult[] = [];
  private waiters = new Set<() => void>();
  private configScopes = new Map<string, ConfigScope>();
  private watchers: { stop(): void }[] = [];
  private replayQueue = new Set<Agent>();
  private replayTimer: ReturnType<typeof setTimeout> | undefined;
  private replaying: Promise<void> = Promise.resolve();
  private bg: Promise<unknown>[] = [];
  log: (msg: string) => void;

  constructor(readonly opts: FleetOptions) {
    this.rand = prng(opts.seed ?? Date.now());
    this.failRate = opts.failRate ?? 0;
    this.latencyMs = opts.latencyMs ?? 0;
    this.agentVersion = opts.agentVersion ?? "0.43.45";
    this.log = opts.log ?? (() => {});
  }

  agent(pcId: string): AgentView {
    const a = this.agents.get(pcId);
    if (!a) throw new Error(`no simulated agent ${pcId}`);
    return a;
  }

  results(): ExecResult[] {
    return [...this.allResults];
  }

  stats(): FleetStats {
    let online = 0;
    for (const a of this.agents.values()) if (a.online) online++;
    return { agents: this.agents.size, online, ...this.counters };
  }

  notify() {
    for (const w of [...this.waiters]) w();
  }

  onResult(r: ExecResult) {
    this.counters.results++;
    // Bounded so a long-running demo fleet does not grow without limit.
    pushCapped(this.allResults, r, 200_000);
    this.notify();
  }

  private waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        clearTimeout(t);
        this.waiters.delete(check);
        resolve();
      };
      const t = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`fleet: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  waitForCommands(n: number, timeoutMs = 10_000) {
    return this.waitUntil(
      () => this.counters.commands >= n,
      timeoutMs,
      `${n} commands (have ${this.counters.commands})`,
    );
  }

  waitForResults(n: number, timeoutMs = 10_000) {
    return this.waitUntil(
      () => this.counters.results >= n,
      timeoutMs,
      `${n} results (have ${this.counters.results})`,
    );
  }

  setGroups(a: Agent, groups: string[]) {
    for (const g of a.groups) this.byGroup.get(g)?.delete(a);
    a.groups = normalizeGroups(groups);
    for (const g of a.groups) {
      let s = this.byGroup.get(g);
      if (!s) this.byGroup.set(g, s = new Set());
      s.add(a);
    }
  }

  effectiveFor(a: Agent): EffectiveConfig {
    const scopes = this.configScopes;
    return resolveEffectiveConfig(
      scopes.get(KEY_AGENT_CONFIG_GLOBAL) ?? null,
      a.groups.flatMap((g) => {
        const s = scopes.get(PREFIX_AGENT_CONFIG_GROUPS + g);
        return s ? [{ name: g, scope: s }] : [];
      }),
      scopes.get(PREFIX_AGENT_CONFIG_PCS + a.pcId) ?? null,
    ).effective;
  }

  intervalFor(a: Agent, eff = this.effectiveFor(a)): number {
    if (this.opts.heartbeatIntervalMs) return this.opts.heartbeatIntervalMs;
    try {
      return Math.max(50, parseDurationMs(eff.heartbeat_interval));
    } catch {
      return DEFAULT_INTERVAL_MS;
    }
  }

  /** Re-read the effective config of one agent: heartbeat cadence and self-update target. */
  applyConfig(a: Agent) {
    const eff = this.effectiveFor(a);
    const ms = this.intervalFor(a, eff);
    if (ms !== a.heartbeatIntervalMs) {
      a.heartbeatIntervalMs = ms;
      if (a.online && a.hbTimer !== undefined) a.scheduleHeartbeat();
    }
    if (this.opts.selfUpdate ?? true) a.considerUpdate(eff);
    if (this.opts.perf ?? true) a.configurePerf(eff);
  }

  setOnline(pcId: string, online: boolean) {
    const a = this.agents.get(pcId);
    if (!a) throw new Error(`no simulated agent ${pcId}`);
    if (a.online === online) return;
    a.online = online;
    if (!online) {
      clearTimeout(a.hbTimer);
      a.hbTimer = undefined;
      a.log("INFO", "offline");
      return;
    }
    a.log("INFO", "online: heartbeat and replay");
    a.scheduleHeartbeat(0);
    this.queueReplay([a]);
  }

  queueReplay(agents: Agent[]) {
    for (const a of agents) this.replayQueue.add(a);
    clearTimeout(this.replayTimer);
    // Agents that come back together share one replay consumer.
    this.replayTimer = setTimeout(() => {
      const batch = [...this.replayQueue].filter((a) => a.online);
      this.replayQueue.clear();
      if (batch.length) this.replaying = this.replaying.then(() => this.replay(batch));
    }, 20);
  }

  /** §3.4 replay: last message per subject of EXEC, only the addressed ones, newer than the ack floor. */
  async replay(batch: Agent[]) {
    if (this.stopped) return;
    const link = this.links[0];
    try {
      const jsm = await jetstreamManager(link.nc, { timeout: 5000 });
      const info = await jsm.streams.info(STREAM.exec).catch(() => null);
      if (!info || info.state.messages === 0) return;
      const consumer = await link.js.consumers.get(STREAM.exec, {
        filter_subjects: SUBJECT.commandsFilter,
        deliver_policy: DeliverPolicy.LastPerSubject,
      });
      const msgs = await consumer.consume({ max_messages: 1000 });
      const byPc = new Map(batch.map((a) => [a.pcId, a]));
      const guard = setTimeout(() => msgs.stop(), 15_000);
      let maxSeq = 0;
      try {
        for await (const m of msgs) {
          maxSeq = Math.max(maxSeq, m.seq);
          // Addressing first (cheap): most of EXEC is other PCs' subjects.
          const candidates = m.subject.startsWith(SUBJECT.commandsPcPrefix)
            ? [byPc.get(m.subject.slice(SUBJECT.commandsPcPrefix.length))].filter((a) => !!a)
            : batch;
          const targets = candidates.filter((a) =>
            a.online && m.seq > a.ackSeq && a.addressedBy(m.subject)
          );
          let cmd: Command | null = null;
          if (targets.length) {
            try {
              cmd = CommandSchema.parse(JSON.parse(td.decode(m.data)));
            } catch { /* not a Command: dropped like the real agent does */ }
          }
          if (cmd) {
            const shared = lookupsFor(link, cmd);
            for (const a of targets) a.handle(cmd, shared).catch((e) => a.log("ERROR", String(e)));
          }
          if (m.info.pending === 0) break;
        }
      } finally {
        clearTimeout(guard);
        msgs.stop();
      }
      for (const a of batch) a.ackSeq = Math.max(a.ackSeq, maxSeq);
    } catch (e) {
      this.log(`replay failed: ${(e as Error).message}`);
    }
  }

  routeCommand(link: Link, msg: Msg) {
    let targets: Iterable<Agent>;
    const subj = msg.subject;
    if (subj === SUBJECT.commandsAll) targets = link.agents.values();
    else if (subj.startsWith(SUBJECT.commandsPcPrefix)) {
      const a = link.agents.get(subj.slice(SUBJECT.commandsPcPrefix.length));
      targets = a ? [a] : [];
    } else if (subj.startsWith(SUBJECT.commandsGroupPrefix)) {
      const set = this.byGroup.get(subj.slice(SUBJECT.commandsGroupPrefix.length));
      targets = set ? [...set].filter((a) => a.link === link) : [];
    } else return;
    const online = [...targets].filter((a) => a.online);
    if (online.length === 0) return;
    let cmd: Command;
    try {
      cmd = CommandSchema.parse(JSON.parse(td.decode(msg.data)));
    } catch (e) {
      for (const a of online) a.log("WARN", `undecodable command on ${subj}: ${e}`);
      return;
    }
    const shared = lookupsFor(link, cmd);
    for (const a of online) a.handle(cmd, shared).catch((e) => a.log("ERROR", String(e)));
  }

  routeRequest(link: Link, msg: Msg, pcId: string, kind: "ping" | "logs" | "tail") {
    const a = link.agents.get(pcId);
    if (!a || !a.online || !msg.reply) return;
    if (kind === "ping") a.replyPing(msg);
    else if (kind === "logs") a.replyLogs(msg);
    else a.replyTail(msg);
  }

  routeKill(link: Link, msg: Msg) {
    const execId = msg.subject.slice(KILL_PREFIX.length);
    const runs = link.runsByExec.get(execId);
    if (!runs) return;
    for (const ctl of [...runs]) {
      if (!ctl.agent.online) continue; // an offline agent hears nothing
      ctl.interrupt("kill");
    }
  }

  subscribe(link: Link) {
    const nc = link.nc;
    nc.subscribe(SUBJECT.commandsFilter, {
      callback: (_e, m) => this.routeCommand(link, m),
    });
    nc.subscribe(SUBJECT.killFilter, { callback: (_e, m) => this.routeKill(link, m) });
    // One wildcard per request/reply subject; the pc id is the token the helpers put in.
    nc.subscribe(subjects.ping("*"), {
      callback: (_e, m) =>
        this.routeRequest(link, m, m.subject.slice(PING_PRE.length, -PING_POST.length), "ping"),
    });
    nc.subscribe(subjects.logsFetch("*"), {
      callback: (_e, m) => this.routeRequest(link, m, m.subject.slice(LOGS_PREFIX.length), "logs"),
    });
    nc.subscribe(subjects.jobTail("*"), {
      callback: (_e, m) => this.routeRequest(link, m, m.subject.slice(TAIL_PREFIX.length), "tail"),
    });
    this.bg.push(
      (async () => {
        for await (const s of nc.status()) {
          if (s.type === "disconnect") link.disconnectedAt ??= Date.now();
          else if (s.type === "reconnect") {
            link.disconnectedAt = null;
            // Like a durable consumer resuming: pick up what was published while cut off.
            this.queueReplay([...link.agents.values()].filter((a) => a.online));
          }
        }
      })().catch(() => {}),
    );
  }

  /** Watch a KV bucket (all keys); resolves once the current values have been applied. */
  async watchBucket(
    link: Link,
    bucket: string,
    apply: (e: KvEntry) => void,
  ): Promise<void> {
    let kv: KV | null = null;
    for (let i = 0; i < 50 && !kv && !this.stopped; i++) {
      kv = await link.kv(bucket);
      if (!kv) await sleep(100);
    }
    if (!kv) {
      this.log(`bucket ${bucket} missing; not watched`);
      return;
    }
    const jsm = await jetstreamManager(link.nc, { timeout: 5000 });
    const info = await jsm.streams.info(`KV_${bucket}`).catch(() => null);
    const hasValues = (info?.state.messages ?? 0) > 0;
    const iter = await kv.watch({ key: ">" });
    this.watchers.push(iter);
    let ready!: () => void;
    const initial = new Promise<void>((r) => ready = r);
    if (!hasValues) ready();
    const t = setTimeout(() => ready(), 10_000);
    this.bg.push(
      (async () => {
        for await (const e of iter) {
          try {
            apply(e);
          } catch (err) {
            this.log(`watch ${bucket}/${e.key}: ${(err as Error).message}`);
          }
          if (!e.delta) ready();
        }
      })().catch(() => {}),
    );
    await initial;
    clearTimeout(t);
  }

  async start() {
    const o = this.opts;
    const prefix = o.prefix ?? "PC-";
    if (typeof o.agents === "number") {
      const width = Math.max(4, String(o.agents).length);
      for (let i = 1; i <= o.agents; i++) this.pcIds.push(prefix + String(i).padStart(width, "0"));
    } else this.pcIds = [...o.agents];
    const nLinks = Math.max(1, Math.min(o.connections ?? 4, this.pcIds.length || 1));
    for (let i = 0; i < nLinks; i++) {
      const nc = await connect({
        servers: o.natsUrl.split(",").map((s) => s.trim()),
        token: o.natsToken,
        user: o.natsUser,
        pass: o.natsPassword,
        name: `kanade-fleet-${i}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        pingInterval: 5_000,
      });
      const link = new Link(nc, jetstream(nc, { timeout: 5000 }));
      this.links.push(link);
    }
    this.pcIds.forEach((pcId, i) => {
      const link = this.links[i % nLinks];
      const a = new Agent(pcId, link, this);
      link.agents.set(pcId, a);
      this.agents.set(pcId, a);
      const g = typeof o.groups === "function" ? o.groups(pcId, i) : o.groups?.[pcId];
      if (g) this.setGroups(a, g);
    });
    for (const id of o.offline ?? []) {
      const a = this.agents.get(id);
      if (a) a.online = false;
    }
    for (const l of this.links) this.subscribe(l);
    await Promise.all(this.links.map((l) => l.nc.flush()));

    if (o.writeGroups && o.groups) await this.writeGroups();

    // Current config and groups before the first heartbeat, so the cadence is right at once.
    const l0 = this.links[0];
    await this.watchBucket(l0, BUCKET.agentGroups, (e) => {
      const a = this.agents.get(e.key);
      if (!a) return;
      const groups = e.operation === "PUT" ? decodeAgentGroups(e.json()) : [];
      this.setGroups(a, groups);
      if (this.started) this.applyConfig(a);
    });
    await this.watchBucket(l0, BUCKET.agentConfig, (e) => {
      if (e.operation === "PUT") {
        const parsed = ConfigScopeSchema.safeParse(e.json());
        if (parsed.success) this.configScopes.set(e.key, parsed.data);
      } else this.configScopes.delete(e.key);
      if (this.started) { for (const a of this.agents.values()) this.applyConfig(a); }
    });

    // The EXEC position at start: commands older than the fleet are not "missed" ones.
    if (!o.replayOnStart) {
      const jsm = await jetstreamManager(l0.nc, { timeout: 5000 });
      const info = await jsm.streams.info(STREAM.exec).catch(() => null);
      const seq = info?.state.last_seq ?? 0;
      for (const a of this.agents.values()) a.ackSeq = seq;
    }

    const n = this.agents.size;
    this.started = true;
    for (const a of this.agents.values()) {
      a.heartbeatIntervalMs = this.intervalFor(a);
      if (this.opts.selfUpdate ?? true) a.considerUpdate(this.effectiveFor(a));
      if (this.opts.perf ?? true) a.configurePerf(this.effectiveFor(a));
      if (!a.online) continue;
      a.log("INFO", `agent ${a.version} started`);
      // The first beat at boot, spread over at most a second for large fleets.
      a.scheduleHeartbeat(
        n > 50 ? Math.floor(this.rand() * Math.min(1000, a.heartbeatIntervalMs)) : 0,
      );
    }
    if (o.replayOnStart) this.queueReplay([...this.agents.values()].filter((a) => a.online));
    this.log(`fleet: ${n} agents on ${nLinks} connections`);
  }

  private async writeGroups() {
    const kv = await new Kvm(this.links[0].js).open(BUCKET.agentGroups, { bindOnly: true });
    const all = [...this.agents.values()];
    for (let i = 0; i < all.length; i += 200) {
      await Promise.all(
        all.slice(i, i + 200).map((a) => kv.put(a.pcId, encodeAgentGroups(a.groups))),
      );
    }
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.replayTimer);
    for (const a of this.agents.values()) {
      clearTimeout(a.hbTimer);
      clearTimeout(a.updateTimer);
      clearTimeout(a.perfTimer);
    }
    for (const l of this.links) {
      for (const runs of l.runsByExec.values()) for (const r of runs) r.interrupt("kill");
    }
    for (const w of this.watchers) {
      try {
        w.stop();
      } catch { /* already stopped */ }
    }
    await this.replaying.catch(() => {});
    await Promise.all(this.links.map((l) => l.nc.close().catch(() => {})));
    await Promise.allSettled(this.bg);
    this.waiters.clear();
  }
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const f = new FleetImpl(opts);
  try {
    await f.start();
  } catch (e) {
    await f.stop();
    throw e;
  }
  return f;
}

/** Simulated script bodies for tests and demos (see script.ts for the language). */
export const scripts = {
  echo: (text: string) => `echo ${text}`,
  sleep: (ms: number, then = "echo done") => `sleep ${ms}\n${then}`,
  exit: (code: number) => `exit ${code}`,
  inventory: (obj: Record<string, unknown>) => `json ${JSON.stringify(obj)}`,
};
