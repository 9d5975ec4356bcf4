/**
 * The scheduler's registry of enabled backend schedules, fed by KV `schedules`: a first
 * load of every entry, then a watch (initial values, then live puts and deletes) that is
 * re-opened whenever it ends. Each schedule version becomes an `Entry` with its cron and
 * its cursor (see due.ts); disabled, agent-run, event-only and undecodable schedules are
 * left out (and dropped when they were in).
 */
import type { Cron } from "croner";
import type { Logger } from "../lib/log.ts";
import { type KV, kvScan, type KvValue, type KvWatchEntry } from "../lib/kv.ts";
import { pause } from "../util/retry.ts";
import type { QueuedIterator } from "@nats-io/transport-node";
import { parseJsonBytes } from "../wire/codec.ts";
import { durationError, parseDurationMs } from "../wire/duration.ts";
import { wireTs } from "../wire/time.ts";
import { decodeSchedule, type Schedule } from "../wire/schedule.ts";
import { type EngineTerms, engineTerms } from "../wire/schedule_when.ts";
import { makeCron } from "../wire/cron.ts";

export interface Entry {
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

export interface RegistryHooks {
  /** A schedule was registered (the engine re-arms its timer). */
  registered(e: Entry): void;
  /** A schedule left the registry (replaced, disabled or deleted). */
  unregistered(e: Entry): void;
}

export class ScheduleRegistry {
  readonly entries = new Map<string, Entry>();
  /** Last KV revision applied per key (registered or not). */
  #applied = new Map<string, number>();
  #watcher: QueuedIterator<KvWatchEntry> | null = null;
  #watchDone: Promise<void> = Promise.resolve();
  #stopped = false;
  #log: Logger;
  #hooks: RegistryHooks;

  constructor(log: Logger, hooks: RegistryHooks) {
    this.#log = log;
    this.#hooks = hooks;
  }

  /** Every schedule stored now (best effort: the watch delivers them again anyway). */
  async load(kv: KV): Promise<void> {
    let entries: KvValue[] = [];
    try {
      entries = await kvScan(kv);
    } catch (err) {
      // Best effort, as upstream: the watch below still delivers every value.
      this.#log.warn("listing schedules failed; relying on the watch", { err: String(err) });
    }
    for (const e of entries) this.apply({ ...e, operation: "PUT" } as unknown as KvWatchEntry);
    this.#log.info("scheduler loaded schedules", { registered: this.entries.size });
  }

  async watch(kv: KV): Promise<void> {
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
              this.apply(e);
            } catch (err) {
              this.#log.warn("schedule watch entry failed", { key: e.key, err: String(err) });
            }
          }
        } catch (err) {
          this.#log.warn("schedule watch failed", { err: String(err) });
        }
        if (this.#stopped) break;
        this.#log.warn("schedule watch ended; re-opening");
        // A supervisor, not a retry: the watch also ends normally; it is re-opened a second
        // later either way, for as long as the engine runs.
        await pause(1000);
        if (this.#stopped) break;
        try {
          w = await open();
        } catch (err) {
          this.#log.warn("re-opening the schedule watch failed", { err: String(err) });
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.stop();
    await this.#watchDone.catch(() => {});
    for (const e of this.entries.values()) e.cron.stop();
    this.entries.clear();
  }

  apply(e: KvWatchEntry) {
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
    const old = this.entries.get(key);
    if (!old) return false;
    old.cron.stop();
    this.entries.delete(key);
    this.#hooks.unregistered(old);
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
    this.entries.set(key, entry);
    log.info("schedule registered", {
      cron: terms.cron,
      mode: terms.mode,
      tz: terms.tz,
      next_run: entry.nextMs === null ? null : wireTs(entry.nextMs),
    });
    this.#hooks.registered(entry);
  }
}
