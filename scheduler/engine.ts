/**
 * The scheduler engine: the registry of enabled backend schedules (registry.ts, fed by a
 * KV watch on `schedules`), one timer that wakes at the next due tick, a leadership lease
 * (only the leader fires), and a task per due tick that claims and fires it (tick_task.ts:
 * only one process fires a given tick even while two believe they lead).
 *
 * Ticks never block each other: each due tick is its own task, so a claim stuck in a
 * replica leader election does not cost the next ticks. The scheduler's KV/JetStream
 * requests use a short timeout (`kvTimeoutMs`, default 2 s) on their own view of the
 * connection; a tick task retries inside the tick's deadline (see tick_task.ts).
 *
 * Missed ticks: a tick is due (fired late, with `deadline_at` = tick + starting_deadline)
 * only within its `starting_deadline`; without one, within `lateGraceMs` (5 s), later ticks
 * are dropped, as cron schedulers do. Each schedule keeps a cursor (see due.ts): every wake
 * as leader starts each tick between the cursor and now that is still due, and moves the
 * cursor; a wake while not leading leaves it. So ticks that fell into a lapse of the lease
 * (an election, a stalled event loop, a leader that died) are claimed and fired by the next
 * wake of whichever process leads (the claim skips those another process handled), however
 * the lapse ended. Ticks before the schedule was registered here count only through the
 * newest one inside `starting_deadline`, on gaining leadership.
 */
import type { Deps } from "../lib/deps.ts";
import { type Nats, wrapNats } from "../lib/nats.ts";
import { type KV, openKv } from "../lib/kv.ts";
import { withTimeout } from "../util/retry.ts";
import { BUCKET, LEASE_KEY_SCHEDULER } from "../wire/names.ts";
import { wireTs } from "../wire/time.ts";
import { Lease } from "./lease.ts";
import { dueTicks } from "./due.ts";
import type { TickContext, TickOutcome } from "./tick.ts";
import type { Mark } from "./policy.ts";
import { type Entry, ScheduleRegistry } from "./registry.ts";
import { runTickTask } from "./tick_task.ts";

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
  /** Timeout of every scheduler KV/JetStream request (default 2 s; the process-wide is 10 s). */
  kvTimeoutMs?: number;
  /** Observer for tests and metrics: every tick this process claimed, after its fire. */
  onTick?: (scheduleId: string, tickMs: number, outcome: TickOutcome) => void;
  /** Test seam: wraps the scheduler's KV handles (`scheduler_dispatch`, `schedules`, leases). */
  wrapKv?: (bucket: string, kv: KV) => KV;
}

const MAX_SLEEP_MS = 1000;

export class SchedulerEngine {
  readonly deps: Deps;
  readonly opts:
    & Required<Omit<SchedulerOptions, "onTick" | "holder" | "wrapKv">>
    & SchedulerOptions;
  readonly holder: string;
  #registry: ScheduleRegistry;
  #lease!: Lease;
  #ctx!: TickContext;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #abort = new AbortController();
  #inflight = new Set<Promise<unknown>>();
  /** Ticks this process has a task for (`key \0 tickMs` → forget-after ms). */
  #started = new Map<string, number>();
  /** Per schedule id: the tail of its serialized fires. */
  #chains = new Map<string, Promise<void>>();
  #nats: Nats | null = null;
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
      kvTimeoutMs: opts.kvTimeoutMs ?? 2_000,
    };
    this.holder = opts.holder ?? `${deps.config.nodeId}-${crypto.randomUUID().slice(0, 8)}`;
    this.#log = deps.log.child({ component: "scheduler", holder: this.holder });
    this.#registry = new ScheduleRegistry(this.#log, {
      registered: () => this.#arm(),
      unregistered: (old) => this.#ctx.markCache.delete(old.schedule.id),
    });
  }

  get #entries(): Map<string, Entry> {
    return this.#registry.entries;
  }

  isLeader(): boolean {
    return this.#lease?.isLeader() ?? false;
  }

  registeredIds(): string[] {
    return [...this.#entries.keys()].sort();
  }

  async start(): Promise<void> {
    // Our own view of the process's connection: every request of a tick (claim, freeze,
    // catalog, dispatch, marks) gives up after kvTimeoutMs instead of the shared 10 s.
    const nats = await wrapNats(this.deps.nats.nc, { timeout: this.opts.kvTimeoutMs });
    this.#nats = nats;
    const wrap = (bucket: string) => async () => {
      const kv = await openKv(nats, bucket);
      return this.opts.wrapKv ? this.opts.wrapKv(bucket, kv) : kv;
    };
    const [schedulesKv, dispatchKv, leasesKv] = await Promise.all([
      wrap(BUCKET.schedules)(),
      wrap(BUCKET.schedulerDispatch)(),
      wrap(BUCKET.leases)(),
    ]);
    this.#ctx = {
      deps: { ...this.deps, nats },
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
    await this.#registry.load(schedulesKv);
    await this.#registry.watch(schedulesKv);
    await this.#lease.start();
    this.#arm();
  }

  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(); // no further retry or wait of a tick task
    clearTimeout(this.#timer);
    await this.#registry.stop();
    // Let ticks in flight finish (bounded), so a fire is never cut between publish and marks.
    await withTimeout(Promise.allSettled([...this.#inflight]), 5_000);
    await this.#lease?.stop(opts.release ?? true);
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
    const leader = this.#lease.isLeader(now);
    for (const [k, forgetAt] of this.#started) if (forgetAt < now) this.#started.delete(k);
    for (const e of this.#entries.values()) {
      if (e.nextMs !== null && e.nextMs <= now) {
        e.nextMs = e.cron.nextRun(new Date(now))?.getTime() ?? null;
      }
      // Not leading: the cursor stays inside the allowance (nothing older can be fired by
      // anyone), and the first wake as leader starts what is still due.
      if (leader) this.#startDue(e, now);
      else e.cursorMs = Math.max(e.cursorMs, now - this.#allowedMs(e) - 1);
    }
    this.#arm();
  }

  /** Starts every tick after the entry's cursor that is still due, and moves the cursor. */
  #startDue(e: Entry, now: number) {
    const allowed = this.#allowedMs(e);
    const { ticks, late } = dueTicks({
      next: (ms) => e.cron.nextRun(new Date(ms))?.getTime() ?? null,
      cursorMs: e.cursorMs,
      nowMs: now,
      allowedMs: allowed,
    });
    if (late > 0) {
      // Past their allowance by this wake (a stalled process, or no leader for that long):
      // another process may have fired them; not ours to fire now.
      this.#log.info("ticks past their starting deadline not fired here", {
        schedule_id: e.schedule.id,
        count: late,
        after: wireTs(e.cursorMs),
        allowed_ms: allowed,
      });
    }
    e.cursorMs = Math.max(e.cursorMs, now);
    for (const t of ticks) this.#maybeFire(e, t, now);
  }

  #allowedMs(e: Entry): number {
    return e.startingDeadlineMs ?? this.opts.lateGraceMs;
  }

  #onLeadership() {
    // Marks may have been written by another leader meanwhile: reload them lazily.
    this.#ctx.markCache.clear();
    const now = Date.now();
    for (const e of this.#entries.values()) {
      // As before: the newest tick inside starting_deadline, even from before this
      // process registered the schedule (a short outage of every scheduler).
      if (e.startingDeadlineMs !== null) {
        const prev = e.cron.previousRuns(1, new Date(now))[0]?.getTime();
        if (prev !== undefined && prev < e.registeredMs && prev >= now - e.startingDeadlineMs) {
          this.#maybeFire(e, prev, now);
        }
      }
    }
    // Whatever fell due while another process led (or nobody did): now, not at the next wake.
    this.#wake();
  }

  #maybeFire(e: Entry, tickMs: number, now: number) {
    const late = now - tickMs;
    const allowed = this.#allowedMs(e);
    const log = this.#log.child({ schedule_id: e.schedule.id, tick_at: wireTs(tickMs) });
    if (late > allowed) {
      log.info("tick missed beyond its starting deadline; dropped", { late_ms: late });
      return;
    }
    const tk = `${e.key}\0${tickMs}`;
    if (this.#started.has(tk)) return; // this process already handles (or handled) it
    this.#started.set(tk, tickMs + allowed + 60_000);
    const env = {
      ctx: this.#ctx,
      holder: this.holder,
      leaseTtlMs: this.opts.leaseTtlMs,
      signal: this.#abort.signal,
      chains: this.#chains,
      onTick: this.opts.onTick,
    };
    const p = runTickTask(env, e, tickMs, tickMs + allowed, log).catch((err) =>
      log.warn("tick failed", { err: String((err as Error)?.message ?? err) })
    );
    this.#inflight.add(p);
    p.finally(() => this.#inflight.delete(p));
  }
}
