/**
 * A pull consumer's messages one at a time, for a reader that must not sit out a lost pull
 * (lib/lost_pull.ts): while it waits longer than `checkMs`, it asks the broker for the
 * consumer's info, and when the pull was lost it consumes again from where it stands.
 * The projectors read with their own byte-bounded pulls (projectors/js_pull.ts), which
 * watch for lost pulls the same way.
 */
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import { LOST_PULL_CHECK_MS, pullLost } from "./lost_pull.ts";
import { TIMEOUT, within } from "./within.ts";

export interface PullReaderOptions {
  /** Messages a pull asks for (the reader's read-ahead). */
  maxMessages: number;
  /** No message for this long: `next()` gives up (null). */
  stallMs: number;
  /** How long a wait goes before the broker is asked about the pull. */
  checkMs?: number;
  /** Told each time a lost pull was found and consumed again. */
  onLost?: (numPending: number) => void;
}

export class PullReader {
  #messages: ConsumerMessages | null = null;
  #it: AsyncIterator<JsMsg> | null = null;
  /** The message asked for and not yet taken: kept across waits, never asked for twice. */
  #pending: Promise<IteratorResult<JsMsg>> | null = null;
  #closed = false;

  private constructor(
    private readonly consumer: Consumer,
    private readonly opts: PullReaderOptions,
  ) {}

  static async open(consumer: Consumer, opts: PullReaderOptions): Promise<PullReader> {
    const r = new PullReader(consumer, opts);
    await r.#consume();
    return r;
  }

  async #consume(): Promise<void> {
    this.#messages = await this.consumer.consume({ max_messages: this.opts.maxMessages });
    this.#it = this.#messages[Symbol.asyncIterator]();
    this.#pending = null;
  }

  /** The next message; null when none came for `stallMs` or the consume ended. */
  async next(): Promise<JsMsg | null> {
    const checkMs = this.opts.checkMs ?? LOST_PULL_CHECK_MS;
    const since = Date.now();
    for (;;) {
      if (this.#closed || !this.#it) return null;
      const waited = Date.now() - since;
      if (waited >= this.opts.stallMs) return null;
      this.#pending ??= this.#it.next();
      const got = await within(this.#pending, Math.min(checkMs, this.opts.stallMs - waited));
      if (got !== TIMEOUT) {
        this.#pending = null;
        return got.done ? null : got.value;
      }
      if (Date.now() - since < checkMs) continue;
      const info = await this.consumer.info().catch(() => null);
      if (info && pullLost(info, Date.now() - since, checkMs) && !this.#closed) {
        this.opts.onLost?.(info.num_pending);
        // The stopped consume ends its iterator, so the pending ask resolves: done, or with
        // a message that came in after all (the broker counts it delivered: never drop it).
        const old = this.#pending;
        this.#messages?.stop();
        await this.#consume();
        const last = await within(old, 1_000);
        if (last !== TIMEOUT && !last.done) return last.value;
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    try {
      await this.#messages?.close();
    } catch { /* already closed */ }
  }
}
