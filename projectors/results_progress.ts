/**
 * How far this process's results projector has got, so that the events projector can let
 * it pass first during a burst.
 *
 * Why: every run publishes `events.started` and, moments later for a short script, its
 * result. Projected in that order, each run's row is written twice: inserted in flight
 * (the row and its six index entries) and then finished by the result (most of those
 * entries moved again). In an exec to 100,000 PCs that first write was a fifth of the
 * backend's CPU and ~4 s of the time until every result was visible. While the results
 * consumer has a backlog, a batch of start events waits until the results published up to
 * then are committed; the events projector then skips the runs that already finished
 * (events.ts). A long-running job's start is not held: with no results backlog it is written
 * at once, so "running" shows. In a burst it shows up to `holdMs` late.
 *
 * How long: at most `holdMs` after the batch's newest event was published, and never so
 * long that its oldest event could outlive the consumer's ack wait (counted from the
 * publish, which comes before the delivery): a held event must not be redelivered.
 *
 * In-process only: a projector process without the results projector holds nothing, and a
 * stale view only costs the double write it avoids, never a row.
 */
import type { StreamMsg } from "./js_pull.ts";
import { epochMs } from "../wire/time.ts";

/**
 * A start event is held at most this long after it was published. 10 s let the starts of
 * an exec to 100,000 PCs go before most of their results on a loaded box (~27,000 of them
 * written twice, and more as the results tables grow); the ack-wait bound below keeps a
 * held event from being redelivered whatever this is.
 */
export const HOLD_MS = 20_000;
/** What a held batch leaves of the ack wait for its own commit. */
export const ACK_MARGIN_MS = 7_500;
/** Results published up to this long after the newest start must be in before it goes. */
export const SLACK_MS = 1_000;

export interface HoldState {
  nowMs: number;
  /** Publish time of the newest start event of the batch. */
  newestEventMs: number;
  /** Publish time of the oldest start event of the batch. */
  oldestEventMs: number;
  /** The events consumer's ack wait. */
  ackWaitMs: number;
  /** Publish time of the newest committed result. */
  watermarkMs: number;
  /** Messages the results consumer still had pending after its last committed batch. */
  backlog: number;
  holdMs: number;
}

/** Pure: whether a batch of start events should wait for the results projector. */
export function shouldHold(s: HoldState): boolean {
  if (s.nowMs >= s.newestEventMs + s.holdMs) return false;
  if (s.nowMs >= s.oldestEventMs + s.ackWaitMs - ACK_MARGIN_MS) return false;
  if (s.backlog === 0) return false;
  return s.watermarkMs < s.newestEventMs + SLACK_MS;
}

/**
 * The newest of canonical DB timestamps (fixed width, so string order is time order),
 * parsed once: a results batch has up to 10,000 of them.
 */
function newestMs(recordedAts: readonly string[]): number {
  let newest = "";
  for (const t of recordedAts) if (t > newest) newest = t;
  return newest ? epochMs(newest) : 0;
}

/** The oldest of the same; only a held batch of start events needs it. */
function oldestMs(recordedAts: readonly string[]): number {
  let oldest = "";
  for (const t of recordedAts) if (!oldest || t < oldest) oldest = t;
  return oldest ? epochMs(oldest) : 0;
}

export class ResultsProgress {
  #watermarkMs = 0;
  #backlog = 0;
  #stopped = false;

  /** `ackWaitMs`: the events consumer's (jetstream_projector.ts DEFAULT_ACK_WAIT_MS). */
  constructor(
    private readonly ackWaitMs: number,
    private readonly holdMs = HOLD_MS,
    private readonly pollMs = 50,
  ) {}

  /** After a results batch committed: the newest publish time in it and what remains. */
  committed(recordedAts: readonly string[], pendingAfter: number): void {
    this.#watermarkMs = Math.max(this.#watermarkMs, newestMs(recordedAts));
    this.#backlog = pendingAfter;
  }

  /** Resolves once start events published up to `recordedAts`' newest may be written. */
  async waitFor(recordedAts: readonly string[]): Promise<void> {
    const newest = newestMs(recordedAts);
    const oldest = oldestMs(recordedAts);
    while (
      !this.#stopped &&
      shouldHold({
        nowMs: Date.now(),
        newestEventMs: newest,
        oldestEventMs: oldest,
        ackWaitMs: this.ackWaitMs,
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
  items: readonly { msg: StreamMsg; recordedAt: string }[],
): void {
  if (!progress || items.length === 0) return;
  let pending = 0;
  try {
    pending = items[items.length - 1].msg.info.pending;
  } catch { /* not a JetStream delivery (tests): no backlog known */ }
  progress.committed(items.map((it) => it.recordedAt), pending);
}
