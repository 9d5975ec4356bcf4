/**
 * Micro-batching shared by every projector, with group commit: items are collected
 * until `maxItems` are buffered or `maxWaitMs` passed since the first one, then handed
 * to `flush` as one batch. One flush at a time by default (one DB transaction at a time per
 * projector); while one runs, new items keep collecting, and once they are due (timer or
 * full) they go out together as soon as it finishes — so when the flush does not block
 * the event loop (the results projector commits on a worker thread) batches grow with
 * the load by themselves (fewer, larger commits), and when idle an item waits at most
 * `maxWaitMs`. `add` applies back-pressure: when the buffer is full it waits until a flush
 * has taken it.
 *
 * `overlap` > 1 lets a second flush start while one runs, but only with a full batch
 * buffered: a saturated projector then prepares its next batch (decode leftovers, overflow
 * reads, the writer thread's request) while the previous one commits, and a lightly loaded
 * one still grows its batches instead of committing small ones side by side. The flush
 * must itself keep its commits apart (the results writer thread applies one at a time).
 */
import type { InValue, Transaction } from "@libsql/client";

export interface BatcherOptions<T> {
  /** Flush as soon as this many items are buffered (and the largest batch handed over). */
  maxItems: number;
  /** Flush at the latest this long after the first buffered item (or when the running flush ends). */
  maxWaitMs: number;
  /** Most flushes in flight at once (default 1; see above). */
  overlap?: number;
  /** Applies one batch; errors are the caller's business (log inside). */
  flush(items: T[]): Promise<void>;
}

export class Batcher<T> {
  #buf: T[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The running flushes (each already chained to start the next one). */
  #running = new Set<Promise<void>>();
  /** The buffered items are due: flush them as soon as a flush may start. */
  #due = false;
  #closed = false;
  readonly #overlap: number;

  constructor(private readonly opts: BatcherOptions<T>) {
    if (!(opts.maxItems >= 1)) {
      throw new RangeError(`Cannot create Batcher: 'maxItems' must be >= 1, got ${opts.maxItems}`);
    }
    this.#overlap = Math.max(1, Math.floor(opts.overlap ?? 1));
  }

  get pending(): number {
    return this.#buf.length;
  }

  /** Flushes in flight now. */
  get inFlight(): number {
    return this.#running.size;
  }

  /** Buffer one item; resolves once it is accepted (after a flush took a full buffer). */
  add(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Batcher is closed"));
    this.#buf.push(item);
    if (this.#buf.length >= this.opts.maxItems) {
      this.#due = true;
      return this.#drain();
    }
    if (!this.#timer && !this.#due) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#due = true;
        this.#pump();
      }, this.opts.maxWaitMs);
    }
    return Promise.resolve();
  }

  /** Flush everything buffered now; resolves when it (and the running flushes) finished. */
  async flushNow(): Promise<void> {
    while (this.#running.size || this.#buf.length) {
      this.#due = true;
      this.#pump();
      if (this.#running.size) await Promise.race(this.#running);
    }
  }

  /** Flush the rest and refuse further items. */
  async close(): Promise<void> {
    await this.flushNow();
    this.#closed = true;
  }

  /** Back-pressure: wait while the buffer is full and no flush may take it. */
  async #drain(): Promise<void> {
    this.#pump();
    while (this.#buf.length >= this.opts.maxItems && this.#running.size) {
      await Promise.race(this.#running);
    }
  }

  /** Whether a flush may start now (see the class comment). */
  #mayStart(): boolean {
    const n = this.#running.size;
    return n === 0 || (n < this.#overlap && this.#buf.length >= this.opts.maxItems);
  }

  /** Start the next flushes while the buffered items are due and a flush may start. */
  #pump(): void {
    while (this.#due && this.#buf.length > 0 && this.#mayStart()) {
      const items = this.#buf.splice(0, this.opts.maxItems);
      // Leftovers beyond maxItems stay due; otherwise new items start their own timer.
      this.#due = this.#buf.length > 0;
      if (this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = null;
      }
      const run = (async () => {
        try {
          await this.opts.flush(items);
        } catch { /* the caller logs inside flush */ }
      })();
      const done: Promise<void> = run.then(() => {
        this.#running.delete(done);
        if (this.#buf.length >= this.opts.maxItems) this.#due = true;
        // Safety net: buffered items always have a timer or are due.
        if (this.#buf.length && !this.#due && !this.#timer) this.#due = true;
        this.#pump();
      });
      this.#running.add(done);
    }
  }
}

/** Split `xs` into chunks of at most `n` (SQL parameter limits). */
export function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * The multi-row statements that write `rows` (each one row's values, in column order),
 * 200 rows a statement: `head` is the statement up to `VALUES`, `tail` what follows the
 * value lists (an `ON CONFLICT` clause). None for no rows.
 */
export function insertStatements(
  head: string,
  rows: InValue[][],
  tail = "",
): { sql: string; args: InValue[] }[] {
  return chunks(rows, 200).map((part) => ({
    sql: `${head} VALUES ${valuesSql(part.length, part[0].length)}${tail && ` ${tail}`}`,
    args: part.flat(),
  }));
}

/** `insertStatements` run in `tx` as one batch (nothing for no rows). */
export async function insertRows(
  tx: Transaction,
  head: string,
  rows: InValue[][],
  tail = "",
): Promise<void> {
  const stmts = insertStatements(head, rows, tail);
  if (stmts.length) await tx.batch(stmts);
}

/** `(?,?,?),(?,?,?)` for `rows` rows of `cols` parameters. */
export function valuesSql(rows: number, cols: number): string {
  const one = `(${new Array(cols).fill("?").join(",")})`;
  return new Array(rows).fill(one).join(",");
}

/**
 * A text as a bound parameter would reach SQLite: lone surrogates become U+FFFD. Rows sent
 * as one JSON parameter (json_each) need it, because SQLite decodes a `\ud800` escape into
 * bytes that are not UTF-8 (libSQL then panics reading the row back).
 */
export function wellFormed(v: string): string {
  return v.isWellFormed() ? v : v.toWellFormed();
}
