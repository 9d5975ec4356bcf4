/**
 * A cap on the JetStream publishes one simulator process has waiting for their ack.
 *
 * Why: thousands of simulated agents share a few connections of one process. When an exec
 * reaches them all at once, each publishes its `events.started` and result at the same
 * moment; on a box the broker shares, acks then come back after the 5 s publish timeout,
 * every agent retries (every second, as the real agent does), and the retries are stored
 * again. The simulator was measuring its own retry storm (180,000 retries for 100,000
 * results). Real agents each have their own connection and machine; a queue in front of
 * the shared connections keeps the broker busy at its pace instead.
 * The order of each agent's outbox is kept: an agent waits here with its next entry.
 *
 * Follow-ups go first: an agent's entry that queued behind its own previous one (a result
 * behind its `events.started`) is served before other agents' first entries. In one FIFO,
 * every result of an exec to all waited behind every start of the process (25,000 of them):
 * results reached the broker 5-10 s after their own starts, where a real agent publishes
 * its result as soon as its run ends, whatever the other agents do.
 */
export class PublishGate {
  private active = 0;
  private first = new Fifo();
  private followUps = new Fifo();

  /** `limit` 0 = no cap. */
  constructor(readonly limit: number) {}

  /** `followUp`: the agent's entry queued behind its own previous one (served first). */
  async run<T>(fn: () => Promise<T>, followUp = false): Promise<T> {
    if (this.limit > 0 && this.active >= this.limit) {
      const q = followUp ? this.followUps : this.first;
      await new Promise<void>((resolve) => q.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next waiter (active stays the same).
      const next = this.followUps.shift() ?? this.first.shift();
      if (next) next();
      else this.active--;
    }
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.first.size + this.followUps.size;
  }
}

/**
 * A FIFO as an array and a head index: with 40,000 agents waiting, Array#shift (a copy of
 * the rest per call) was the simulator's largest single cost during an exec to all.
 */
class Fifo {
  private items: (() => void)[] = [];
  private head = 0;

  push(x: () => void) {
    this.items.push(x);
  }

  shift(): (() => void) | undefined {
    if (this.head >= this.items.length) return undefined;
    const next = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return next;
  }

  get size(): number {
    return this.items.length - this.head;
  }
}
