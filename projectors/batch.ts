/**
 * Micro-batching shared by every projector: items are collected until `maxItems` are
 * buffered or `maxWaitMs` passed since the first one, then handed to `flush` as one
 * batch. Flushes never overlap (one DB transaction at a time per projector), and `add`
 * applies back-pressure: when the buffer is full it waits for the flush to finish.
 */

export interface BatcherOptions<T> {
  /** Flush as soon as this many items are buffered. */
  maxItems: number;
  /** Flush at the latest this long after the first buffered item. */
  maxWaitMs: number;
  /** Applies one batch; errors are the caller's business (log inside). */
  flush(items: T[]): Promise<void>;
}

export class Batcher<T> {
  #buf: T[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(private readonly opts: BatcherOptions<T>) {
    if (!(opts.maxItems >= 1)) {
      throw new RangeError(`Cannot create Batcher: 'maxItems' must be >= 1, got ${opts.maxItems}`);
    }
  }

  get pending(): number {
    return this.#buf.length;
  }

  /** Buffer one item; resolves once it is accepted (after a flush when the buffer was full). */
  add(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Batcher is closed"));
    this.#buf.push(item);
    if (this.#buf.length >= this.opts.maxItems) return this.flushNow();
    if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.flushNow().catch(() => {});
      }, this.opts.maxWaitMs);
    }
    return Promise.resolve();
  }

  /** Flush whatever is buffered now; resolves when that flush (and earlier ones) finished. */
  flushNow(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const items = this.#buf;
    this.#buf = [];
    if (items.length === 0) return this.#chain;
    this.#chain = this.#chain.then(() => this.opts.flush(items)).catch(() => {});
    return this.#chain;
  }

  /** Flush the rest and refuse further items. */
  async close(): Promise<void> {
    await this.flushNow();
    this.#closed = true;
  }
}

/** Split `xs` into chunks of at most `n` (SQL parameter limits). */
export function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** `(?,?,?),(?,?,?)` for `rows` rows of `cols` parameters. */
export function valuesSql(rows: number, cols: number): string {
  const one = `(${new Array(cols).fill("?").join(",")})`;
  return new Array(rows).fill(one).join(",");
}
