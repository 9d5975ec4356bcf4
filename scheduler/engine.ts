/**
 * The scheduler engine: a registry of enabled backend schedules fed by a KV watch on
 * `schedules` (initial values, then live puts/deletes), one timer that wakes at the next
 * due tick, a leadership lease (only the leader fires), and a per-tick fire claim (only one
 * process fires a given tick even while two believe they lead).
 *
 * Ticks never block each other: each due tick is its own task (claim, then fire), so a
 * claim stuck in a replica leader election does not cost the next ticks. The scheduler's
 * KV/JetStream requests use a short timeout (`kvTimeoutMs`, default 2 s) on their own view
 * of the connection, and a claim or a fire that failed before anything reached an agent is
 * retried with backoff while the tick is still due. Where a tick's decision depends on the
 * previous one (dedup modes, `max_concurrent`), the fires of one schedule run one after the
 * other, in claim order; plain every-tick fires run side by side.
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
import type { Cron } from "croner";
import type { Deps } from "../lib/deps.ts";
import { type Nats, wrapNats } from "../lib/nats.ts";
import type { Logger } from "../lib/log.ts";
import type { QueuedIterator } from "@nats-io/transport-node";
import { BUCKET, LEASE_KEY_SCHEDULER } from "../wire/names.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { durationError, parseDurationMs } from "../wire/duration.ts";
import { wireTs } from "../wire/time.ts";
import {
  decodeSchedule,
  type EngineTerms,
  engineTerms,
  isWhenShape,
  makeCron,
  type Schedule,
} from "../wire/schedule.ts";
import { Lease } from "./lease.ts";
import { type KV, kvScan, type KvValue, type KvWatchEntry, openKv } from "../lib/kv.ts";
import { type Claimer, claimIsOurs, claimTick, finishClaim } from "./marks.ts";
import { dueTicks } from "./due.ts";
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
  /** Timeout of every scheduler KV/JetStream request (default 2 s; the process-wide is 10 s). */
  kvTimeoutMs?: number;
  /** Observer for tests and metrics: every tick this process claimed, after its fire. */
  onTick?: (scheduleId: string, tickMs: number, outcome: TickOutcome) => void;
  /** Test seam: wraps the scheduler's KV handles (`scheduler_dispatch`, `schedules`, leases). */
  wrapKv?: (bucket: string, kv: KV) => KV;
}

/** Backoff between attempts of one tick's claim or fire: 100 ms doubling to 1 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(1_000, 100 * 2 ** Math.min(attempt, 4));
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
  /** When this process registered this version (catch-up does not reach before it). */
  registeredMs: number;
  /** Every tick at or before this was started here while leading, or predates the entry. */
  cursorMs: number;
}

const MAX_SLEEP_MS = 1000;
/** How often a tick claimed by another scheduler is looked at again. */
const CLAIM_WATCH_MS = 1000;

export class SchedulerEngine {
  readonly deps: Deps;
  readonly opts:
    & Required<Omit<SchedulerOptions, "onTick" | "holder" | "wrapKv">>
    & SchedulerOptions;
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
    let entries: KvValue[] = [];
    try {
      entries = await kvScan(kv);
    } catch (err) {
      // Best effort, as upstream: the watch below still delivers every value.
      this.#log.warn("listing schedules failed; relying on the watch", { err: String(err) });
    }
    for (const e of entries) this.#apply({ ...e, operation: "PUT" } as unknown as KvWatchEntry);
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
      registeredMs: now,
      cursorMs: now - 1,
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
    const p = this.#tickTask(e, tickMs, tickMs + allowed, log).catch((err) =>
      log.warn("tick failed", { err: String((err as Error)?.message ?? err) })
    );
    this.#inflight.add(p);
    p.finally(() => this.#inflight.delete(p));
  }

  /** Sleeps `ms` unless that passes `deadline` or the engine stops; false then. */
  async #backoff(ms: number, deadline: number): Promise<boolean> {
    if (this.#stopped || Date.now() + ms > deadline) return false;
    await new Promise((r) => setTimeout(r, ms));
    return !this.#stopped;
  }

  async #tickTask(e: Entry, tickMs: number, deadline: number, log: Logger) {
    const id = e.schedule.id;
    const kv = this.#ctx.dispatchKv;
    // One nonce per tick task, kept across retries: a retried claim recognises its own
    // earlier create whose reply was lost.
    const claimer = { holder: this.holder, nonce: crypto.randomUUID() };
    // A claim not done a lease lifetime after it was made: its claimer died (or stalled)
    // before the fire was over. Taking it over is safe: the fire is the same Command.
    const opts = { takeOverAfterMs: this.opts.leaseTtlMs };
    for (let errors = 0;;) {
      let state: Awaited<ReturnType<typeof claimTick>>;
      try {
        state = await claimTick(kv, id, tickMs, claimer, opts);
      } catch (err) {
        const more = await this.#backoff(retryDelayMs(errors), deadline);
        log[more ? "info" : "warn"](
          more ? "tick claim failed; retrying" : "tick claim failed past its deadline; dropped",
          { attempt: errors++, err: String((err as Error)?.message ?? err) },
        );
        if (!more) return;
        continue;
      }
      if (state === "ours") break;
      if (state === "took") {
        log.info("tick claim taken over: its claimer did not finish it within the lease");
        break;
      }
      if (state === "done") return log.debug("tick already handled by another scheduler");
      // Held by another claimer: look again until its fire is over, or its claim is stale.
      if (!await this.#backoff(CLAIM_WATCH_MS, deadline)) {
        return log.info("tick claimed by another scheduler, not done by its deadline");
      }
    }
    // The claim is ours: it is fired even if the lease lapsed meanwhile. Serialized per
    // schedule where one fire's decision needs the last.
    const fire = () => this.#fireClaimed(e, tickMs, deadline, claimer, log);
    let finish: boolean;
    if (!this.#needsOrder(e)) finish = await fire();
    else {
      const prev = this.#chains.get(id) ?? Promise.resolve();
      const mine = prev.then(fire, fire);
      const tail = mine.then(() => {}, () => {});
      this.#chains.set(id, tail);
      try {
        finish = await mine;
      } finally {
        if (this.#chains.get(id) === tail) this.#chains.delete(id);
      }
    }
    // Done (outside the chain: the next fire need not wait for it): nobody takes the claim
    // over any more. If this write fails, a later take-over repeats the same Command.
    if (!finish) return;
    await finishClaim(kv, id, tickMs, claimer).catch((err) =>
      log.info("tick claim not marked done", { err: String((err as Error)?.message ?? err) })
    );
  }

  #needsOrder(e: Entry): boolean {
    if (e.terms.mode === "once_per_pc" || e.terms.mode === "once_per_target") return true;
    return isWhenShape(e.schedule) && typeof e.schedule.constraints?.max_concurrent === "number";
  }

  /** Fires a claimed tick (retrying inside its deadline); false if the claim was taken over. */
  async #fireClaimed(
    e: Entry,
    tickMs: number,
    deadline: number,
    claimer: Claimer,
    log: Logger,
  ): Promise<boolean> {
    for (let attempt = 0;; attempt++) {
      if (attempt === 0 && Date.now() > deadline + 1_000) {
        // Waited behind earlier fires of this schedule past its due time.
        log.info("claimed tick fell past its deadline before its turn; dropped");
        this.opts.onTick?.(e.schedule.id, tickMs, { fired: false, reason: "missed" });
        return true;
      }
      if (
        attempt > 0 &&
        await claimIsOurs(this.#ctx.dispatchKv, e.schedule.id, tickMs, claimer) === false
      ) {
        // Retried so long that another scheduler took the claim over: it fires the tick.
        log.info("tick claim taken over by another scheduler; this one stops");
        this.opts.onTick?.(e.schedule.id, tickMs, { fired: false, reason: "claim taken over" });
        return false;
      }
      const outcome = await runTick(this.#ctx, {
        schedule: e.schedule,
        terms: e.terms,
        revision: e.revision,
        tickMs,
      });
      if (!outcome.fired && outcome.retry) {
        const more = await this.#backoff(retryDelayMs(attempt), deadline);
        if (more) {
          log.info("tick fire failed before dispatch; retrying", {
            attempt,
            reason: outcome.reason,
          });
          continue;
        }
        log.warn("tick fire failed past its deadline; dropped", { reason: outcome.reason });
      }
      this.opts.onTick?.(e.schedule.id, tickMs, outcome);
      return true;
    }
  }
}
