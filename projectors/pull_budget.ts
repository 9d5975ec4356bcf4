/**
 * The budget of a projector's pulls (projectors/js_pull.ts), in messages and in bytes; pure,
 * so it is tested alone.
 *
 * Why bytes: a pull bounded only by a count lets the broker queue that many messages for
 * the connection whatever their size. With inventory-sized results (120 KiB) 20,000 of them
 * is 2.4 GB; whenever the projector's event loop fell behind, the broker's per-connection
 * limit (`max_pending`, 64 MiB by default) was passed and it cut the projectors' connection
 * as a slow consumer (bench `large_results`: 7 cuts, 62 s). Why a count as well: a message
 * waiting longer than the ack wait is redelivered, and a projector committing one message a
 * transaction holds 16 MiB of small ones for longer than that.
 *
 * What is counted: messages and bytes asked for and not yet taken by the projector, whether
 * still at the broker or received and waiting in the reader's queue. So the broker holds for
 * us, and the reader buffers, at most the budget between them. One pull at a time, so what
 * reaches the reader is known to be the live pull's and its end is known exactly: its count
 * or its bytes used up (the broker says nothing then), or a 408/409 status. A pull is sent
 * once half the budget is free, and never for fewer bytes than `minPull` (at least the
 * broker's largest message: a pull too small for the next message ends at once with a 409,
 * which nats.js's byte-bounded consume then re-sent in a loop during a 100k-agent burst).
 * Sizes are the broker's: subject + reply subject + headers + payload.
 */

/** What a pull asks the broker for. */
export interface PullAsk {
  batch: number;
  maxBytes: number;
}

export class PullBudget {
  readonly maxMsgs: number;
  readonly maxBytes: number;
  readonly minPull: number;
  #queuedMsgs = 0;
  #queuedBytes = 0;
  /** What the broker may still send for the pull it holds (null: none). */
  #live: { msgs: number; bytes: number } | null = null;

  constructor(maxMsgs: number, maxBytes: number, minPull: number) {
    if (!(minPull > 0)) throw new RangeError(`minPull must be > 0, got ${minPull}`);
    if (!(maxMsgs >= 1)) throw new RangeError(`maxMsgs must be >= 1, got ${maxMsgs}`);
    this.maxMsgs = Math.floor(maxMsgs);
    this.minPull = minPull;
    // Two pulls' worth at least: one draining while the next is asked for.
    this.maxBytes = Math.max(maxBytes, 2 * minPull);
  }

  /** The pull to send now, or null: one is live, or not half of the budget is free. */
  nextPull(): PullAsk | null {
    if (this.#live) return null;
    const msgs = this.maxMsgs - this.#queuedMsgs;
    const bytes = this.maxBytes - this.#queuedBytes;
    if (msgs < Math.max(1, this.maxMsgs / 2)) return null;
    if (bytes < Math.max(this.minPull, this.maxBytes / 2)) return null;
    return { batch: msgs, maxBytes: bytes };
  }

  /** The pull was sent. */
  asked(ask: PullAsk): void {
    this.#live = { msgs: ask.batch, bytes: ask.maxBytes };
  }

  /** A message of `size` bytes arrived and waits in the reader's queue. */
  arrived(size: number): void {
    this.#queuedMsgs++;
    this.#queuedBytes += size;
    const live = this.#live;
    if (!live) return; // a pull given up for lost delivered after all
    live.msgs--;
    live.bytes -= size;
    // Its count or its bytes used up: the broker ended it without a word.
    if (live.msgs <= 0 || live.bytes <= 0) this.#live = null;
  }

  /** The reader took a message of `size` bytes from its queue. */
  taken(size: number): void {
    this.#queuedMsgs = Math.max(0, this.#queuedMsgs - 1);
    this.#queuedBytes = Math.max(0, this.#queuedBytes - size);
  }

  /** The broker ended the live pull (408 at its expiry, 409 when the next message did not fit). */
  ended(): void {
    this.#live = null;
  }

  /** The live pull was lost (a reconnect, a broker that dropped it): pull again. */
  forget(): void {
    this.#live = null;
  }

  /** Whether the broker holds a pull of ours (and so sends heartbeats while it waits). */
  get pulling(): boolean {
    return this.#live !== null;
  }

  get queued(): { msgs: number; bytes: number } {
    return { msgs: this.#queuedMsgs, bytes: this.#queuedBytes };
  }
}
