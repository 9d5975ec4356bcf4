/**
 * How far this process's results projector has got, so that the events projector can let
 * it pass first during a burst.
 *
 * Why: every run publishes `events.started` and, moments later for a short script, its
 * result. Projected in that order, each run's row is written twice: inserted in flight
 * (the row and its six index entries) and then finished by the result (most of those
 * entries moved again). In an exec to 100,000 PCs that first write was a fifth of the
 * backend's CPU and ~4 s of the time until every result was visible. While the results
 * consumer has a backlog, a batch of start events waits (at most `holdMs` after its newest
 * event was published) until the results published up to then are committed; the events
 * projector then skips the runs that already finished (events.ts). A long-running job's
 * start is not held: with no results backlog it is written at once, so "running" shows.
 *
 * In-process only: a projector process without the results projector holds nothing, and a
 * stale view only costs the double write it avoids, never a row.
 */
import type { JsMsg } from "@nats-io/jetstream";
import { epochMs } from "../wire/time.ts";

/** A start event is held at most this long after it was published. */
export const HOLD_MS = 10_000;
/** Results published up to this long after the newest start must be in before it goes. */
export const SLACK_MS = 1_000;

export interface HoldState {
  nowMs: number;
  /** Publish time of the newest start event of the batch. */
  newestEventMs: number;
  /** Publish time of the newest committed result. */
  watermarkMs: number;
  /** Messages the results consumer still had pending after its last committed batch. */
  backlog: number;
  holdMs: number;
}

/** Pure: whether a batch of start events should wait for the results projector. */
export function shouldHold(s: HoldState): boolean {
  if (s.nowMs >= s.newestEventMs + s.holdMs) return false;
  if (s.backlog === 0) return false;
  return s.watermarkMs < s.newestEventMs + SLACK_MS;
}

/**
 * The newest of canonical DB timestamps (fixed width, so the greatest string is the latest),
 * parsed once: a results batch has up to 10,000 of them.
 */
function newestMs(recordedAts: readonly string[]): number {
  let newest = "";
  for (const t of recordedAts) if (t > newest) newest = t;
  return newest ? epochMs(newest) : 0;
}

export class ResultsProgress {
  #watermarkMs = 0;
  #backlog = 0;
  #stopped = false;

  constructor(private readonly holdMs = HOLD_MS, private readonly pollMs = 50) {}

  /** After a results batch committed: the newest publish time in it and what remains. */
  committed(recordedAts: readonly string[], pendingAfter: number): void {
    this.#watermarkMs = Math.max(this.#watermarkMs, newestMs(recordedAts));
    this.#backlog = pendingAfter;
  }

  /** Resolves once start events published up to `recordedAts`' newest may be written. */
  async waitFor(recordedAts: readonly string[]): Promise<void> {
    const newest = newestMs(recordedAts);
    while (
      !this.#stopped &&
      shouldHold({
        nowMs: Date.now(),
        newestEventMs: newest,
        watermarkMs: this.#watermarkMs,
        backlog: this.#backlog,
        holdMs: this.holdMs,
      })
    ) {
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** Releases every wait (shutdown). */
  stop(): void {
    this.#stopped = true;
  }
}

/** After a results batch committed: its publish times and the consumer's backlog behind it. */
export function reportCommitted(
  progress: ResultsProgress | undefined,
  items: readonly { msg: JsMsg; recordedAt: string }[],
): void {
  if (!progress || items.length === 0) return;
  let pending = 0;
  try {
    pending = items[items.length - 1].msg.info.pending;
  } catch { /* not a JetStream delivery (tests): no backlog known */ }
  progress.committed(items.map((it) => it.recordedAt), pending);
}
