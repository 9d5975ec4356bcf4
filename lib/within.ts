/**
 * A promise raced against a timer: its value, or TIMEOUT after `ms`. The timer is cleared
 * as soon as either settles, because a pending one keeps what was raced (a package chunk, a
 * read) reachable until it fires.
 */
export const TIMEOUT = Symbol("timeout");

export async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<typeof TIMEOUT>((r) => timer = setTimeout(() => r(TIMEOUT), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
