/**
 * Retry with a doubling pause while a failure is transient and a deadline allows: the one
 * loop behind the busy-database retry, the migrations and the start-up waits for JetStream.
 */
export interface RetryPolicy {
  /** Whether this failure may go away by itself (nothing was done, try again). */
  transient(e: unknown): boolean;
  /** Absolute time (ms since epoch) after which the last failure is thrown. */
  until: number;
  firstPauseMs: number;
  maxPauseMs: number;
  /** Told before each pause. */
  onRetry?(e: unknown, pauseMs: number): void;
}

export async function retryWhile<T>(fn: () => Promise<T>, p: RetryPolicy): Promise<T> {
  for (let pause = p.firstPauseMs;; pause = Math.min(pause * 2, p.maxPauseMs)) {
    try {
      return await fn();
    } catch (e) {
      if (!p.transient(e) || Date.now() + pause > p.until) throw e;
      p.onRetry?.(e, pause);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
