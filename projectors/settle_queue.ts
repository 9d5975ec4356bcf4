/**
 * The acks of a projector's committed batches, sent on the next macrotask: the batcher first
 * hands the next batch to the writer (its start runs on microtasks), so a writer thread
 * commits while these acks go out instead of waiting for them. Every batch committed before
 * that macrotask runs is settled in it, in commit order. Why not one timer per batch,
 * chained: that acked one batch per timer turn, and nested timers are clamped to 4 ms, so
 * small batches committed faster than that (one message a transaction) piled up unacked
 * towards their ack wait (thousands behind after a few seconds in the projector bench).
 */
export class SettleQueue {
  #due: (() => void)[] = [];
  #turn: Promise<void> | null = null;

  /** Run `settle` on the next macrotask, after every one queued before it. */
  later(settle: () => void): void {
    this.#due.push(settle);
    this.#turn ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        const due = this.#due;
        this.#due = [];
        this.#turn = null;
        for (const f of due) f();
        resolve();
      }, 0)
    );
  }

  /** Resolves once everything queued so far (and queued meanwhile) has run. */
  async drained(): Promise<void> {
    while (this.#turn) await this.#turn;
  }
}
