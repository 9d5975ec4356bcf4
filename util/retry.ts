/**
 * The one retry helper, and the one pause. Every loop that repeats a failed step runs
 * through `retryWhile` (the busy-database retry, migrations, the start-up waits for
 * JetStream, the core projectors' busy windows, the KV compare-and-swap, the scheduler's
 * tick claims and fires, the jobs-cache watch). Every other wait goes through `pause` or
 * `withTimeout` and says at its call site why it is not a retry: a poll of someone else's
 * progress, a supervisor re-opening a stream that ended, a bound on a shutdown.
 */
export interface RetryPolicy {
  /** Whether this failure may go away by itself (nothing was done, try again). */
  transient(e: unknown): boolean;
  /** Absolute time (ms since epoch) the next pause may not pass; default none. */
  until?: number;
  /** At most this many attempts in all; default unlimited. */
  maxAttempts?: number;
  /** The first pause; each next one doubles, up to `maxPauseMs`. */
  firstPauseMs: number;
  maxPauseMs: number;
  /** Full jitter: each pause is a random fraction of its nominal length (spreads racers). */
  jitter?: boolean;
  /** Once aborted no attempt follows (a pause under way ends at once); the last failure is thrown. */
  signal?: AbortSignal;
  /** Told before each pause, with the attempt that failed (1 = the first). */
  onRetry?(e: unknown, pauseMs: number, attempt: number): void;
}

/**
 * Runs `fn` until it succeeds, retrying with a doubling pause while its failure is
 * transient and the policy allows; otherwise the last failure is thrown as it was.
 */
export async function retryWhile<T>(
  fn: (attempt: number) => Promise<T>,
  p: RetryPolicy,
): Promise<T> {
  for (let attempt = 1, nominal = p.firstPauseMs;; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const wait = p.jitter ? Math.random() * nominal : nominal;
      if (
        !p.transient(e) || p.signal?.aborted ||
        (p.maxAttempts !== undefined && attempt >= p.maxAttempts) ||
        (p.until !== undefined && Date.now() + wait > p.until)
      ) throw e;
      p.onRetry?.(e, wait, attempt);
      await pause(wait, p.signal);
      if (p.signal?.aborted) throw e;
      nominal = Math.min(nominal * 2, p.maxPauseMs);
    }
  }
}

/** Waits `ms`; ends early (without an error) when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** `p`'s value, or undefined once `ms` passed first (`p` keeps running: a bound on a wait). */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
