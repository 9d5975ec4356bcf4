/**
 * Child processes of tests and benchmarks (brokers, sqld, backends, the fleet CLI): stopping
 * them, restarting them in place, and reading their output without ever blocking them.
 */

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitListening(port: number, timeoutMs: number, what: string) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

/** SIGKILL (no shutdown hooks: a crashed host) and wait until it has exited. */
export async function killNow(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
  await child.status;
}

export { terminate } from "../../util/process.ts";

/**
 * The `restart` of a server whose `start()` comes back on the same port and data: kill,
 * stay down for `downMs` (if given), start.
 */
export function restarter(kill: () => Promise<void>, start: () => Promise<void>) {
  return async (o: { downMs?: number } = {}) => {
    await kill();
    if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
    await start();
  };
}

/**
 * Reads a child's text stream to its end, so the child never blocks on a full pipe. Each
 * complete line goes to `onLine`; the returned array holds the last `keep` lines, kept
 * current (for an error message when the child fails).
 */
export function tailLines(
  stream: Deno.ChildProcess["stderr"],
  keep: number,
  onLine?: (line: string) => void,
): string[] {
  const tail: string[] = [];
  (async () => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        tail.push(line);
        if (tail.length > keep) tail.shift();
        onLine?.(line);
      }
    }
  })().catch(() => {});
  return tail;
}
