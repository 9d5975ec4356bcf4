/**
 * Sends the pending deliveries the engine decided: claims rows (lib/alerts/store.ts, so a
 * row is sent by one process only), then runs each through `deliver` (attempts, backoff,
 * the state of every attempt recorded as it ends), at most `concurrency` at a time and
 * beside the engine's passes, never inside one: a slow receiver delays its own deliveries,
 * not the next transitions.
 */
import type { Db } from "../../db/client.ts";
import type { Logger } from "../log.ts";
import { dbTs } from "../../wire/time.ts";
import type { StoredRule } from "./model.ts";
import { type AlertPayload, backoffSchedule } from "./policy.ts";
import { type ClaimedDelivery, claimPending, recordAttempt, releaseClaim } from "./store.ts";
import { deliver } from "./deliver.ts";
import { countAlertDelivery } from "../metrics.ts";

export interface SenderOptions {
  holder: string;
  concurrency: number;
  firstPauseMs: number;
  maxPauseMs: number;
  /** Aborted on stop: retries end, the row stays pending for the next leader. */
  signal: AbortSignal;
  /** Told after a delivery row of `rule` changed (the live change notice). */
  onChange(rule: string): void;
}

export class DeliverySender {
  private readonly inflight = new Map<number, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: SenderOptions,
  ) {}

  /** Resolves once every delivery under way has ended. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight.values()]);
  }

  /** Claims pending deliveries and starts sending them (not awaited: see `inflight`). */
  async pump(rules: StoredRule[]): Promise<void> {
    const room = this.opts.concurrency - this.inflight.size;
    if (room <= 0 || this.opts.signal.aborted) return;
    const byName = new Map(rules.map((r) => [r.name, r]));
    // A claim outlasts the longest delivery any rule can take, so it never runs out mid-way.
    const longest = Math.max(
      0,
      ...rules.map((r) =>
        r.webhook.timeout_ms * r.webhook.max_attempts +
        backoffSchedule(
          r.webhook.max_attempts,
          this.opts.firstPauseMs,
          this.opts.maxPauseMs,
        )
          .reduce((a, b) => a + b, 0)
      ),
    );
    const nowMs = Date.now();
    const claimed = await claimPending(
      this.db,
      this.opts.holder,
      dbTs(nowMs),
      dbTs(nowMs + longest + 30_000),
      room,
      new Set(this.inflight.keys()),
    );
    for (const c of claimed) {
      const p = this.send(c, byName.get(c.rule)).catch((e) =>
        this.log.warn("alert delivery step failed", {
          rule: c.rule,
          delivery: c.id,
          err: String(e),
        })
      ).finally(() => this.inflight.delete(c.id));
      this.inflight.set(c.id, p);
    }
  }

  private async send(c: ClaimedDelivery, rule: StoredRule | undefined): Promise<void> {
    const db = this.db;
    const holder = this.opts.holder;
    if (!rule || !rule.enabled) {
      await recordAttempt(db, c.id, holder, {
        status: "failed",
        attempts: c.attempts,
        lastStatus: null,
        lastError: rule ? "rule disabled before delivery" : "rule deleted before delivery",
        now: dbTs(Date.now()),
      });
      this.opts.onChange(c.rule);
      countAlertDelivery("failed");
      return;
    }
    const key = (JSON.parse(c.payload) as AlertPayload).id;
    const ids = { rule: rule.name, delivery: c.id, event: c.event };
    let finished = false;
    const last = await deliver(rule, c.payload, key, c.event, {
      done: c.attempts,
      firstPauseMs: this.opts.firstPauseMs,
      maxPauseMs: this.opts.maxPauseMs,
      signal: this.opts.signal,
      onAttempt: async (n, o, final) => {
        finished = final;
        await recordAttempt(db, c.id, holder, {
          status: o.ok ? "delivered" : final ? "failed" : "pending",
          attempts: n,
          lastStatus: o.status,
          lastError: o.error,
          now: dbTs(Date.now()),
        });
        this.opts.onChange(c.rule);
      },
    });
    if (finished) countAlertDelivery(last.ok ? "delivered" : "failed");
    if (!finished) {
      // Stopped between attempts: the next leader resumes it without waiting for the claim.
      await releaseClaim(db, c.id, holder);
    } else if (last.ok) this.log.info("alert delivered", ids);
    else this.log.warn("alert delivery failed", { ...ids, err: last.error, status: last.status });
  }
}
