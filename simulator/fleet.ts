/**
 * Fleet simulator: thousands of kanade agents in one process speaking the agent's side of
 * the protocol (protocol.md §2, §3.4, §4.1–§4.8, §4.12–§4.13) over a few shared NATS
 * connections, each agent with its own subscriptions. This module assembles the fleet and owns its life cycle; each behaviour has
 * its module:
 *
 * | module            | concern                                                           |
 * |-------------------|-------------------------------------------------------------------|
 * | `agent.ts`        | one agent's wire behaviour: de-dup, gates, run, result, replies   |
 * | `run.ts`          | command execution: kill, timeout, retries                         |
 * | `gates.ts`        | the §4.1 pre-run gates (pure)                                     |
 * | `script.ts`       | the simulated script language (pure)                              |
 * | `heartbeat.ts`    | heartbeat body and cadence                                        |
 * | `beat_clock.ts`   | one timer for all the process's heartbeats                        |
 * | `perf.ts`         | host and process perf samples                                     |
 * | `self_update.ts`  | following `target_version`                                        |
 * | `outbox.ts`       | ordered, retried JetStream publishes                              |
 * | `replay.ts`       | agents coming back online: missed-command replay from EXEC        |
 * | `subscriptions.ts`| each agent's live subscriptions, as the real agent has them       |
 * | `command_cache.ts`| one decode per distinct Command, shared by the agents it reaches  |
 * | `churn.ts`        | agents going offline and coming back                              |
 * | `stdout.ts`       | realistic output sizes for non-simulated scripts                  |
 * | `behaviours.ts`   | extension point: extra behaviours (checks, notifications, ...)    |
 * | `checks.ts`       | behaviour: answers `check:` jobs from a configurable status mix   |
 * | `notifications.ts`| behaviour: shows and acknowledges end-user notifications          |
 * | `resources.ts`    | waiting for (or creating) the JetStream resources                 |
 * | `agent_config.ts` | effective config from KV `agent_config`                           |
 * | `link.ts`         | one shared connection with cached KV / object-store handles       |
 * | `main.ts`         | the CLI (`deno task fleet`); `cli_args.ts` its arguments          |
 * | `orchestrator.ts` | several processes started by one command                          |
 * | `self_report.ts`  | the simulator's own CPU and RSS                                   |
 *
 * Deviations, on purpose: `script_object` fetch/sha failures publish exit 1 with a reason
 * (upstream only logs); `timeout_secs: 0` means no timeout; a fresh fleet does not replay
 * commands that were already in EXEC when it started unless `replayOnStart` is set.
 */
import { connect } from "@nats-io/transport-node";
import { whileStarting, wrapNats } from "../lib/nats.ts";
import { type BucketFollower, followBucket, type KvEntry, openKv } from "../lib/kv.ts";
import { BUCKET, STREAM } from "../wire/names.ts";
import type { ExecResult } from "../wire/messages.ts";
import { decodeAgentGroups, encodeAgentGroups, normalizeGroups } from "../wire/agent_groups.ts";
import { Agent, type FleetCtx, FULL_HISTORY, type HistoryCaps, MINIMAL_HISTORY } from "./agent.ts";
import { ConfigScopes, intervalOf } from "./agent_config.ts";
import { PublishGate } from "./publish_gate.ts";
import { BeatClock } from "./beat_clock.ts";
import { CommandCache } from "./command_cache.ts";
import { Link } from "./link.ts";
import { Replayer } from "./replay.ts";
import { ensureResources } from "./resources.ts";
import type { AgentView, Fleet, FleetOptions, FleetStats } from "./types.ts";
import { prng, pushCapped } from "./util.ts";

export type { AgentView, Fleet, FleetOptions, FleetStats, RunView } from "./types.ts";

class FleetImpl implements Fleet, FleetCtx {
  pcIds: string[] = [];
  readonly agents = new Map<string, Agent>();
  readonly links: Link[] = [];
  stopped = false;
  /** Set once the initial KV state is loaded; watch events before that are the initial load. */
  started = false;
  rand: () => number;
  failRate: number;
  latencyMs: number;
  agentVersion: string;
  realisticOutput: boolean;
  history: HistoryCaps;
  readonly commandCache = new CommandCache(() => this.links[0]);
  readonly publishGate: PublishGate;
  readonly beatClock = new BeatClock();
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
  private config = new ConfigScopes();
  private watchers: BucketFollower[] = [];
  private replayer: Replayer;
  private bg: Promise<unknown>[] = [];
  log: (msg: string) => void;

  constructor(readonly opts: FleetOptions) {
    this.rand = prng(opts.seed ?? Date.now());
    this.failRate = opts.failRate ?? 0;
    this.latencyMs = opts.latencyMs ?? 0;
    this.publishGate = new PublishGate(opts.maxInflight ?? 0);
    this.agentVersion = opts.agentVersion ?? "0.43.45";
    this.realisticOutput = opts.realisticOutput ?? false;
    this.history = opts.history === "minimal" ? MINIMAL_HISTORY : FULL_HISTORY;
    this.log = opts.log ?? (() => {});
    this.replayer = new Replayer(
      () => this.links[0],
      this.commandCache,
      () => this.stopped,
      this.log,
    );
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
    return {
      agents: this.agents.size,
      online,
      ...this.counters,
      publish_queued: this.publishGate.queued,
    };
  }

  async flush() {
    await Promise.all(this.links.map((l) => l.nc.flush()));
  }

  notify() {
    for (const w of [...this.waiters]) w();
  }

  onResult(r: ExecResult) {
    this.counters.results++;
    // Bounded so a long-running demo fleet does not grow without limit.
    if (this.opts.keepResults ?? true) pushCapped(this.allResults, r, 200_000);
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
    a.groups = normalizeGroups(groups);
    // Like the real agent: group subjects follow the agent_groups entry.
    if (this.started) a.subs.sync();
  }

  /** Re-read the effective config of one agent: heartbeat cadence, self-update, perf. */
  applyConfig(a: Agent) {
    const eff = this.config.effective(a.pcId, a.groups);
    a.hb.setInterval(intervalOf(eff, this.opts.heartbeatIntervalMs));
    if (this.opts.selfUpdate ?? true) a.updater.consider(eff);
    if (this.opts.perf ?? true) a.perf.configure(eff);
  }

  setOnline(pcId: string, online: boolean) {
    const a = this.agents.get(pcId);
    if (!a) throw new Error(`no simulated agent ${pcId}`);
    if (a.online === online) return;
    a.online = online;
    if (!online) {
      a.hb.stop();
      a.subs.close();
      a.log("INFO", "offline");
      return;
    }
    a.log("INFO", "online: heartbeat and replay");
    a.subs.sync();
    a.hb.schedule(0);
    this.replayer.enqueue([a]);
  }

  private watchStatus(link: Link) {
    this.bg.push(
      (async () => {
        for await (const s of link.nc.status()) {
          if (s.type === "disconnect") link.disconnectedAt ??= Date.now();
          else if (s.type === "reconnect") {
            link.disconnectedAt = null;
            // Like a durable consumer resuming: pick up what was published while cut off.
            this.replayer.enqueue([...link.agents.values()].filter((a) => a.online));
          }
        }
      })().catch(() => {}),
    );
  }

  /**
   * Follow a bucket through the backend's KV gateway (values, then changes); waits for its
   * current values, at most 5 s while it does not exist yet (it is followed once it does).
   */
  private async watch(bucket: string, apply: (e: KvEntry) => void, reset = () => {}) {
    const w = followBucket(this.links[0].nats, bucket, { apply, reset }, {
      warn: (msg, fields) => this.log(`${msg} ${JSON.stringify(fields ?? {})}`),
    });
    this.watchers.push(w);
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([w.ready, new Promise((r) => t = setTimeout(r, 5000))]);
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
        // A 25,000-agent process on a starved box can leave a pong unread for well over two
        // ping intervals; the default (2 out) then drops a healthy connection mid-start.
        // Real agents ping every 2 minutes; 30 s of silence still finds a dead link soon.
        maxPingOut: 6,
        // Without it every request (each JetStream publish awaiting its ack) builds two
        // Error objects up front for their stack traces: a tenth of the simulator's CPU in
        // an exec to all. The simulator logs error messages, never those stacks.
        noAsyncTraces: true,
      });
      this.links.push(new Link(await wrapNats(nc, { timeout: 5000 })));
    }
    if (o.setup || o.waitForResources) {
      await ensureResources(this.links[0].nats, {
        create: !!o.setup,
        log: this.log,
        stopped: () => this.stopped,
      });
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
    for (const l of this.links) this.watchStatus(l);

    if (o.writeGroups && o.groups) await this.writeGroups();

    // Current config and groups before the first heartbeat, so the cadence is right at once.
    await this.watch(BUCKET.agentGroups, (e) => {
      const a = this.agents.get(e.key);
      if (!a) return;
      const groups = e.operation === "PUT" ? decodeAgentGroups(e.json()) : [];
      this.setGroups(a, groups);
      if (this.started) this.applyConfig(a);
    });
    await this.watch(BUCKET.agentConfig, (e) => {
      this.config.apply(e);
      if (this.started) { for (const a of this.agents.values()) this.applyConfig(a); }
    }, () => this.config.clear());

    // The EXEC position at start: commands older than the fleet are not "missed" ones.
    if (!o.replayOnStart) {
      const info = await this.links[0].nats.jsm.streams.info(STREAM.exec).catch(() => null);
      const seq = info?.state.last_seq ?? 0;
      for (const a of this.agents.values()) a.ackSeq = seq;
    }

    const n = this.agents.size;
    this.started = true;
    // Subscriptions first (in slices, so a 25,000-agent process keeps answering its
    // connections' pings), then the first heartbeats, spread over the boot window.
    const all = [...this.agents.values()];
    for (let i = 0; i < all.length; i += 2000) {
      for (const a of all.slice(i, i + 2000)) a.subs.sync();
      // The flush only paces the slices; a link cut meanwhile re-sends its subscriptions
      // when it reconnects (maxReconnectAttempts -1), so its rejection is not a failure.
      await Promise.all(this.links.map((l) => l.nc.flush().catch(() => {})));
    }
    const spread = o.bootSpreadMs ?? (n > 50 ? 1000 : 0);
    for (const a of all) {
      this.applyConfig(a);
      if (!a.online) continue;
      a.log("INFO", `agent ${a.version} started`);
      a.hb.schedule(Math.floor(this.rand() * Math.min(spread, a.hb.intervalMs)));
    }
    // Like the real agent at connect: what it missed while it was not running (commands
    // only when asked, see the header; the behaviours' catch-up always).
    this.replayer.enqueue(all.filter((a) => a.online), { commands: !!o.replayOnStart });
    this.log(`fleet: ${n} agents on ${nLinks} connections`);
  }

  private async writeGroups() {
    const kv = await openKv(this.links[0].nats, BUCKET.agentGroups);
    const all = [...this.agents.values()];
    for (let i = 0; i < all.length; i += 200) {
      // Retried while the broker is briefly out of reach (a put is idempotent): one cut
      // link must not end a 100,000-agent start.
      await whileStarting(
        "agent_groups writes",
        () =>
          Promise.all(
            all.slice(i, i + 200).map((a) => kv.put(a.pcId, encodeAgentGroups(a.groups))),
          ),
      );
    }
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    for (const a of this.agents.values()) a.shutdown();
    this.beatClock.stop();
    for (const w of this.watchers) {
      try {
        w.stop();
      } catch { /* already stopped */ }
    }
    await this.replayer.stop();
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
