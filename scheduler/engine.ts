/**
 * The scheduler engine: a registry of enabled backend schedules fed by a KV watch on
 * `schedules` (initial values, then live puts/deletes), one timer that wakes at the next
 * due tick, a leadership lease (only the leader fires), and a per-tick fire claim (only one
 * process fires a given tick even while two believe they lead).
 *
 * Missed ticks: a tick is fired late only within its `starting_deadline` (or a small
 * grace without one). On gaining leadership, each schedule's latest tick inside its
 * `starting_deadline` is fired if nobody claimed it, so a short outage loses nothing the
 * schedule still wanted; older ticks are dropped, as cron schedulers do.
 */
import type { Cron } from "croner";
import type { KV, KvWatchEntry } from "@nats-io/kv";
import type { Deps } from "../lib/deps.ts";
import type { QueuedIterator } from "@nats-io/transport-node";
import { BUCKET, LEASE_KEY_SCHEDULER } from "../wire/names.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { durationError, parseDurationMs } from "../wire/duration.ts";
import { wireTs } from "../wire/time.ts";
import {
  decodeSchedule,
  type EngineTerms,
  engineTerms,
  makeCron,
  type Schedule,
} from "../wire/schedule.ts";
import { Lease } from "./lease.ts";
import { mapLimit } from "../lib/catalog/kv_scan.ts";
import { claimTick } from "./marks.ts";
import { runTick, type TickContext, type TickOutcome } from "./tick.ts";
import type { Mark } from "./policy.ts";

export interface SchedulerOptions {
  /** Lease lifetime; a dead leader is replaced within about `leaseTtlMs + renewMs`. */
  leaseTtlMs?: number;
  /** How often the leader renews and followers retry (default ttl / 3). */
  renewMs?: number;
  /** Lateness allowed for a tick without `starting_deadline` (timer and GC slack). */
  lateGraceMs?: number;
  /** Alive window for expected PCs (default `config.aliveWindowSecs`). */
  aliveWindowSecs?: number;
  /** Identity in the lease (default `<nodeId>-<random>`). */
  holder?: string;
  /** Observer for tests and metrics: every fired or skipped tick of this process. */
  onTick?: (scheduleId: string, tickMs: number, outcome: TickOutcome) => void;
}

interface Entry {
  key: string;
  schedule: Schedule;
  terms: EngineTerms;
  revision: number;
  cron: Cron;
  /** Epoch ms of the next tick, null when the cron has no future run (one-shot done). */
  nextMs: number | null;
  startingDeadlineMs: number | null;
  running: boolean;
}

const MAX_SLEEP_MS = 1000;

export class SchedulerEngine {
  readonly deps: Deps;
  readonly opts: Required<Omit<SchedulerOptions, "onTick" | "holder">> & SchedulerOptions;
  readonly holder: string;
  #entries = new Map<string, Entry>();
  /** Last KV revision applied per key (registered or not). */
  #applied = new Map<string, number>();
  #lease!: Lease;
  #ctx!: TickContext;
  #watcher: QueuedIterator<KvWatchEntry> | null = null;
  #watchDone: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #inflight = new Set<Promise<unknown>>();
  #log;

  constructor(deps: Deps, opts: SchedulerOptions = {}) {
    this.deps = deps;
    const leaseTtlMs = opts.leaseTtlMs ?? 15_000;
    this.opts = {
      ...opts,
      leaseTtlMs,
      renewMs: opts.renewMs ?? Math.max(100, Math.floor(leaseTtlMs / 3)),
      lateGraceMs: opts.lateGraceMs ?? 5_000,
      aliveWindowSecs: opts.aliveWindowSecs ?? deps.config.aliveWindowSecs,
    };
    this.holder = opts.holder ?? `${deps.config.nodeId}-${crypto.randomUUID().slice(0, 8)}`;
    this.#log = deps.log.child({ component: "scheduler", holder: this.holder });
  }

  isLeader(): boolean {
    return this.#lease?.isLeader() ?? false;
  }

  registeredIds(): string[] {
    return [...this.#entries.keys()].sort();
  }

  async start(): Promise<void> {
    const nats = this.deps.nats;
    const [schedulesKv, dispatchKv, leasesKv] = await Promise.all([
      nats.kv(BUCKET.schedules),
      nats.kv(BUCKET.schedulerDispatch),
      nats.kv(BUCKET.leases),
    ]);
    this.#ctx = {
      deps: this.deps,
      dispatchKv,
      schedulesKv,
      aliveWindowSecs: this.opts.aliveWindowSecs,
      markCache: new Map<string, Map<string, Mark>>(),
    };
    this.#lease = new Lease(leasesKv, this.#log, {
      key: LEASE_KEY_SCHEDULER,
      holder: this.holder,
      ttlMs: this.opts.leaseTtlMs,
      renewMs: this.opts.renewMs,
      marginMs: Math.min(this.opts.renewMs, Math.floor(this.opts.leaseTtlMs / 5)),
      onAcquired: () => this.#onLeadership(),
    });
    // Load first, then lead: a catch-up on gaining leadership must see every schedule.
    await this.#initialLoad(schedulesKv);
    await this.#startWatch(schedulesKv);
    await this.#lease.start();
    this.#arm();
  }

  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#watcher?.stop();
    await this.#watchDone.catch(() => {});
    // Let ticks in flight finish (bounded), so a fire is never cut between publish and marks.
    await Promise.race([
      Promise.allSettled([...this.#inflight]),
      new Promise((r) => setTimeout(r, 5_000)),
    ]);
    await this.#lease?.stop(opts.release ?? true);
    for (const e of this.#entries.values()) e.cron.stop();
    this.#entries.clear();
  }

  // ---------------------------------------------------------------- registry

  async #initialLoad(kv: KV): Promise<void> {
    let keys: string[] = [];
    try {
      for await (const k of await kv.keys()) keys.push(k);
    } catch (err) {
      // Best effort, as upstream: the watch below still delivers every value.
      this.#log.warn("listing schedules failed; relying on the watch", { err: String(err) });
      keys = [];
    }
    await mapLimit(keys, 32, async (key) => {
      try {
        const e = await kv.get(key);
        if (e) this.#apply(e as KvWatchEntry);
      } catch (err) {
        this.#log.warn("reading schedule failed", { key, err: String(err) });
      }
    });
    this.#log.info("scheduler loaded schedules", { registered: this.#entries.size });
  }

  async #startWatch(kv: KV): Promise<void> {
    // The watch delivers every current value first (replays of what the initial load saw
    // are skipped by revision), then live changes. If it ever ends while running (a broker
    // or consumer loss), it is re-opened, and its replay re-syncs puts and deletes.
    const open = async () => {
      const w = await kv.watch({ key: ">" });
      this.#watcher = w;
      return w;
    };
    let w = await open();
    this.#watchDone = (async () => {
      while (!this.#stopped) {
        try {
          for await (const e of w) {
            try {
              this.#apply(e);
            } catch (err) {
              this.#log.warn("schedule watch entry failed", { key: e.key, err: String(err) });
            }
          }
        } catch (err) {
          this.#log.warn("schedule watch failed", { err: String(err) });
        }
        if (this.#stopped) break;
        this.#log.warn("schedule watch ended; re-opening");
        await new Promise((r) => setTimeout(r, 1000));
        if (this.#stopped) break;
        try {
          w = await open();
        } catch (err) {
          this.#log.warn("re-opening the schedule watch failed", { err: String(err) });
        }
      }
    })();
  }

  #apply(e: KvWatchEntry) {
    // The watch replays what the initial load already registered: same revision, no-op.
    if (this.#applied.get(e.key) === e.revision) return;
    this.#applied.set(e.key, e.revision);
    if (e.operation !== "PUT") {
      if (this.#unregister(e.key)) this.#log.info("schedule unregistered", { schedule_id: e.key });
      return;
    }
    let s: Schedule | null = null;
    try {
      s = decodeSchedule(parseJsonBytes(e.value));
    } catch {
      s = null;
    }
    if (!s) {
      // Undecodable (e.g. a shape this build does not know): skip it, and drop what we had.
      this.#unregister(e.key);
      this.#log.warn("undecodable schedule skipped", { key: e.key });
      return;
    }
    this.#register(e.key, s, e.revision);
  }

  #unregister(key: string): boolean {
    const old = this.#entries.get(key);
    if (!old) return false;
    old.cron.stop();
    this.#entries.delete(key);
    this.#ctx.markCache.delete(old.schedule.id);
    return true;
  }

  #register(key: string, s: Schedule, revision: number) {
    this.#unregister(key);
    const log = this.#log.child({ schedule_id: s.id });
    if (!s.enabled) return log.info("schedule disabled; not registered");
    if (s.runs_on !== "backend") return log.info("runs_on agent; left to the agents");
    const terms = engineTerms(s);
    if (terms.cron === null) return log.info("event-triggered schedule; agent-only");
    let cron: Cron;
    try {
      cron = makeCron(terms.cron, terms.tz);
    } catch (err) {
      return log.warn("bad cron; schedule not registered", { cron: terms.cron, err: String(err) });
    }
    let sd: number | null = null;
    if (s.starting_deadline && !durationError(s.starting_deadline)) {
      sd = parseDurationMs(s.starting_deadline);
    }
    const now = Date.now();
    const entry: Entry = {
      key,
      schedule: s,
      terms,
      revision,
      cron,
      nextMs: cron.nextRun(new Date(now))?.getTime() ?? null,
      startingDeadlineMs: sd,
      running: false,
    };
    this.#entries.set(key, entry);
    log.info("schedule registered", {
      cron: terms.cron,
      mode: terms.mode,
      tz: terms.tz,
      next_run: entry.nextMs === null ? null : wireTs(entry.nextMs),
    });
    this.#arm();
  }

  // ---------------------------------------------------------------- timing

  #arm() {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const now = Date.now();
    let next = now + MAX_SLEEP_MS;
    for (const e of this.#entries.values()) {
      if (e.nextMs !== null && e.nextMs < next) next = e.nextMs;
    }
    this.#timer = setTimeout(() => this.#wake(), Math.max(0, next - now));
  }

  #wake() {
    if (this.#stopped) return;
    const now = Date.now();
    for (const e of this.#entries.values()) {
      if (e.nextMs === null || e.nextMs > now) continue;
      // The latest due occurrence wins; older ones in a stall are dropped (bounded walk).
      let tick = e.nextMs;
      for (let i = 0; i < 10_000; i++) {
        const n = e.cron.nextRun(new Date(tick))?.getTime();
        if (n === undefined || n > now) break;
        tick = n;
      }
      e.nextMs = e.cron.nextRun(new Date(now))?.getTime() ?? null;
      if (this.#lease.isLeader(now)) this.#maybeFire(e, tick, now);
    }
    this.#arm();
  }

  #onLeadership() {
    // Marks may have been written by another leader meanwhile: reload them lazily.
    this.#ctx.markCache.clear();
    const now = Date.now();
    for (const e of this.#entries.values()) {
      if (e.startingDeadlineMs === null) continue;
      const prev = e.cron.previousRuns(1, new Date(now))[0]?.getTime();
      if (prev !== undefined && now - prev <= e.startingDeadlineMs) this.#maybeFire(e, prev, now);
    }
  }

  #maybeFire(e: Entry, tickMs: number, now: number) {
    const late = now - tickMs;
    const allowed = e.startingDeadlineMs ?? this.opts.lateGraceMs;
    const log = this.#log.child({ schedule_id: e.schedule.id, tick_at: wireTs(tickMs) });
    if (late > allowed) {
      log.info("tick missed beyond its starting deadline; dropped", { late_ms: late });
      return;
    }
    if (e.running) {
      log.info("previous tick of this schedule still running; tick dropped");
      return;
    }
    e.running = true;
    const p = (async () => {
      try {
        const won = await claimTick(this.#ctx.dispatchKv, e.schedule.id, tickMs, this.holder);
        if (!won) return log.debug("tick already claimed by another scheduler");
        // A lease can lapse while the claim was in flight; the claim is ours either way
        // and nobody else can fire this tick, so finish it.
        const outcome = await runTick(this.#ctx, {
          schedule: e.schedule,
          terms: e.terms,
          revision: e.revision,
          tickMs,
        });
        this.opts.onTick?.(e.schedule.id, tickMs, outcome);
      } catch (err) {
        log.warn("tick failed", { err: String((err as Error)?.message ?? err) });
      } finally {
        e.running = false;
      }
    })();
    this.#inflight.add(p);
    p.finally(() => this.#inflight.delete(p));
  }
}
