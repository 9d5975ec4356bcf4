/**
 * Sign-in throttling, the pure part (upstream #1191, made durable): 5 consecutive
 * failures lock a username (from any address) for the lock time; 30 failures from one
 * client address within a minute refuse that address for the rest of the minute. Only
 * failures count; a success clears the username. Times are epoch milliseconds.
 */
export const USER_MAX_FAILURES = 5;
export const CLIENT_MAX_FAILURES = 30;
export const CLIENT_WINDOW_MS = 60_000;

export interface UserFailures {
  /** Consecutive failures since the last success or lock. */
  failures: number;
  /** Locked until this time (0 = not locked). */
  locked_until: number;
}

export interface ClientFailures {
  window_start: number;
  failures: number;
}

/** Seconds until the username may try again, or null when it may now. */
export function userRetryAfter(s: UserFailures | null, now: number): number | null {
  return s && s.locked_until > now ? Math.ceil((s.locked_until - now) / 1000) : null;
}

export function clientRetryAfter(s: ClientFailures | null, now: number): number | null {
  if (!s || now - s.window_start >= CLIENT_WINDOW_MS) return null;
  return s.failures >= CLIENT_MAX_FAILURES
    ? Math.ceil((s.window_start + CLIENT_WINDOW_MS - now) / 1000)
    : null;
}

export function afterUserFailure(
  s: UserFailures | null,
  now: number,
  lockMs: number,
): UserFailures {
  const failures = (s && s.locked_until <= now ? s.failures : 0) + 1;
  return failures >= USER_MAX_FAILURES
    ? { failures: 0, locked_until: now + lockMs }
    : { failures, locked_until: 0 };
}

export function afterClientFailure(s: ClientFailures | null, now: number): ClientFailures {
  if (!s || now - s.window_start >= CLIENT_WINDOW_MS) return { window_start: now, failures: 1 };
  return { window_start: s.window_start, failures: s.failures + 1 };
}
