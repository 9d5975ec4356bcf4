/**
 * Scheduler leadership: one lease key in KV `kanade_leases`, written only with the entry's
 * revision (compare-and-swap), so at most one process believes it leads at a time. A
 * leader renews every `renewMs`; a follower takes over once the stored lease expired, so a
 * dead leader is replaced within `ttlMs + renewMs`. The local belief ends `marginMs`
 * before the stored expiry, which leaves room for clock skew and a slow renew.
 * A renew that fails (the broker slow or away) does not end the belief early: the stored
 * lease is still this holder's until it expires, and nobody can take it before that; only
 * a lease seen in someone else's hands, or the belief running out, ends leadership.
 * (Overlaps that remain are caught by the per-tick fire claim, see marks.ts.)
 */
import { DELETE, type KV, kvSwap } from "../lib/kv.ts";
import { withTimeout } from "../util/retry.ts";
import type { Logger } from "../lib/log.ts";
import { parseJsonBytes } from "../wire/codec.ts";

export interface LeaseOptions {
  key: string;
  holder: string;
  ttlMs: number;
  renewMs: number;
  marginMs: number;
  /** Called when this process becomes leader (after a successful acquire). */
  onAcquired?: () => void;
  onLost?: () => void;
}

interface LeaseValue {
  holder: string;
  expires_ms: number;
  acquired_ms: number;
}

function decode(data: Uint8Array): LeaseValue | null {
  try {
    const v = parseJsonBytes(data) as LeaseValue;
    return typeof v?.holder === "string" && typeof v?.expires_ms === "number" ? v : null;
  } catch {
    return null;
  }
}

export class Lease {
  #kv: KV;
  #log: Logger;
  #opts: LeaseOptions;
  #validUntil = 0;
  #revision = 0;
  #acquiredMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #gen = 0;
  #busy: Promise<void> = Promise.resolve();
  /** The error of the last finished step, if it hit one (not "someone else holds it"). */
  #lastFailure: { err: unknown } | null = null;
  /** Leadership was announced (acquired) and its end not yet. */
  #announced = false;

  constructor(kv: KV, log: Logger, opts: LeaseOptions) {
    this.#kv = kv;
    this.#log = log;
    this.#opts = opts;
  }

  get holder(): string {
    return this.#opts.holder;
  }

  /** True while this process holds an unexpired lease (by its own conservative clock). */
  isLeader(now = Date.now()): boolean {
    return !this.#stopped && now < this.#validUntil;
  }

  start(): Promise<void> {
    const loop = async () => {
      if (this.#stopped) return;
      const step = this.step();
      this.#busy = step;
      // A request sent into a replica leader election hangs until the KV handle's timeout
      // (the scheduler's is short); do not wait for it longer than one renew period, and
      // after a failed attempt try again sooner: the election may be over, and the lease
      // is still ours to renew until it expires.
      const done = await withTimeout(step.then(() => true), this.#opts.renewMs);
      const failed = !done || this.#lastFailure !== null;
      // Renews that failed or hung until the belief ran out: leadership ends here.
      if (failed) this.#reportIfLost(undefined, this.#lastFailure?.err);
      const next = failed ? Math.min(this.#opts.renewMs, 500) : this.#opts.renewMs;
      if (!this.#stopped) this.#timer = setTimeout(loop, next);
    };
    return loop();
  }

  /** One acquire-or-renew attempt; never throws. */
  async step(): Promise<void> {
    const { key, holder, ttlMs, marginMs } = this.#opts;
    // A step that outlives a newer one (a hung request) must not touch the newer state.
    const gen = ++this.#gen;
    const t0 = Date.now();
    const wasLeader = this.isLeader(t0);
    const value = (acquired: number) =>
      JSON.stringify({ holder, expires_ms: t0 + ttlMs, acquired_ms: acquired });
    try {
      const e = await this.#kv.get(key);
      const cur = e && e.operation === "PUT" ? decode(e.value) : null;
      let rev: number | null = null;
      let acquired = t0;
      // Each write is revision-checked: one that loses its race (null) means another
      // holder wrote first, which is not an error.
      if (!e || e.operation !== "PUT") {
        rev = await kvSwap(this.#kv, key, value(t0), null);
      } else if (cur?.holder === holder) {
        // Ours (holder ids are unique per process), whichever of our writes it was.
        acquired = this.#acquiredMs || t0;
        rev = await kvSwap(this.#kv, key, value(acquired), e.revision);
      } else if (!cur || cur.expires_ms <= t0) {
        // Expired (or unreadable) lease of someone else, or a stale one of ours: take over.
        rev = await kvSwap(this.#kv, key, value(t0), e.revision);
      }
      if (gen !== this.#gen) return;
      this.#lastFailure = null;
      if (rev !== null) {
        // Also a regain when the belief ran out while this step was under way (a slow
        // renew, a stalled event loop): ticks may have been passed over meanwhile.
        const regained = !wasLeader || !this.isLeader(Date.now());
        this.#revision = rev;
        this.#acquiredMs = acquired;
        // Measured from before the request went out, so the belief never outlives the lease.
        this.#validUntil = t0 + ttlMs - marginMs;
        if (regained) {
          this.#log.info("scheduler leadership acquired", { holder });
          this.#announced = true;
          this.#opts.onAcquired?.();
        }
        return;
      }
      // Someone else's unexpired lease (or a lost race for it).
      this.#validUntil = 0;
      this.#reportIfLost(cur?.holder);
    } catch (e) {
      // A broker hiccup: the lease stays ours until the belief runs out (see the top); the
      // next attempt comes sooner. (A 100,000-agent burst made renews time out, and each
      // one dropped leadership at once: two "lost" a burst, ticks deferred to the regain.)
      if (gen === this.#gen) {
        this.#lastFailure = { err: e };
        if (this.isLeader()) {
          this.#log.debug("scheduler lease renew failed; the lease has not expired", {
            holder: this.#opts.holder,
            err: String(e),
          });
        } else this.#reportIfLost(undefined, e);
      }
    }
  }

  /** Announces the end of leadership once, when this process no longer believes it leads. */
  #reportIfLost(other?: string, err?: unknown) {
    if (!this.#announced || this.isLeader()) return;
    this.#announced = false;
    this.#log.warn("scheduler leadership lost", {
      holder: this.#opts.holder,
      other,
      err: err ? String(err) : undefined,
    });
    this.#opts.onLost?.();
  }

  /** Stop renewing; with `release`, delete the key (revision-checked) for a fast hand-over. */
  async stop(release = true): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#busy.catch(() => {});
    const held = Date.now() < this.#validUntil;
    this.#validUntil = 0;
    if (release && held && this.#revision) {
      await kvSwap(this.#kv, this.#opts.key, DELETE, this.#revision).catch(() => {});
    }
  }
}
