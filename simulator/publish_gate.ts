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
 */
export class PublishGate {
  private active = 0;
  // A FIFO as an array and a head index: with 40,000 agents waiting, Array#shift (a copy of
  // the rest per call) was the simulator's largest single cost during an exec to all.
  private waiting: (() => void)[] = [];
  private head = 0;

  /** `limit` 0 = no cap. */
  constructor(readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.limit > 0 && this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next waiter (active stays the same).
      const next = this.dequeue();
      if (next) next();
      else this.active--;
    }
  }

  private dequeue(): (() => void) | undefined {
    if (this.head >= this.waiting.length) return undefined;
    const next = this.waiting[this.head++];
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return next;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length - this.head;
  }
}
