/**
 * One writer at a time per database file within this process, first come first served.
 *
 * Why: SQLite lets one connection write at a time and makes the others wait in its busy
 * handler, which sleeps (up to 100 ms a try) and is not fair. With the results writer
 * thread committing 10,000-row batches during a fleet-wide burst, the main thread's writers
 * (heartbeats, `events.started`, an exec's row) spent their `busy_timeout` blocked inside
 * SQLite (the event loop frozen meanwhile: every API call stalled) or lost the race again
 * after each sleep, and one projector could starve another for tens of seconds while the
 * lock sat idle between sleeps. Queued here, a writer waits asynchronously and takes the lock
 * the moment the previous one is done. Writers in other processes still meet SQLite's busy
 * handling (db/client.ts).
 *
 * A waiter that is not let in within its `maxWaitMs` fails with a busy error, the same
 * outcome as SQLite's own busy timeout: the caller's busy handling applies (503, nak and
 * redelivery), nothing is written later behind its back, and a bug that nests a write inside
 * another on a second connection fails instead of hanging.
 */
export class WriteGateBusyError extends Error {
  override name = "WriteGateBusyError";
  constructor(waitedMs: number) {
    super(`SQLITE_BUSY: no turn to write within ${waitedMs} ms (another writer of this process)`);
  }
}

/**
 * `interactive` writers (an API request: small, and someone waits for the answer) are let in
 * before queued `bulk` writers (projector batches), first come first served within each.
 * Without it an exec's one-row insert waited behind every queued projector batch and, in the
 * 100k soak, answered 503 for over a minute.
 */
export type WritePriority = "interactive" | "bulk";

interface Waiter {
  grant: () => void;
}

export class WriteGate {
  private held = false;
  private readonly queues: Record<WritePriority, Waiter[]> = { interactive: [], bulk: [] };

  /** Resolves with the release function once this caller may write. */
  acquire(maxWaitMs: number, priority: WritePriority = "interactive"): Promise<() => void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    const queue = this.queues[priority];
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(timer);
          resolve(this.releaser());
        },
      };
      const timer = setTimeout(() => {
        const i = queue.indexOf(entry);
        if (i >= 0) queue.splice(i, 1);
        reject(new WriteGateBusyError(maxWaitMs));
      }, maxWaitMs);
      queue.push(entry);
    });
  }

  /** `fn` while holding the gate. */
  async run<R>(
    fn: () => Promise<R>,
    maxWaitMs: number,
    priority: WritePriority = "interactive",
  ): Promise<R> {
    const release = await this.acquire(maxWaitMs, priority);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  get waiting(): number {
    return this.queues.interactive.length + this.queues.bulk.length;
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.queues.interactive.shift() ?? this.queues.bulk.shift();
      if (next) next.grant(); // held passes straight on
      else this.held = false;
    };
  }
}

const gates = new Map<string, WriteGate>();

/** The gate of one database file (every handle to it in this process shares it). */
export function writeGateFor(path: string): WriteGate {
  let g = gates.get(path);
  if (!g) gates.set(path, g = new WriteGate());
  return g;
}
