/**
 * The fleet CLI as a child process (benchmarks and acceptance scripts): the agents get their
 * own process and CPU time, like real machines, instead of sharing the measured process.
 */
import { tailLines, terminate } from "./child.ts";

export interface FleetProcess {
  pid: number;
  /** Latest `fleet.stats()` line the child printed (every 10 s). */
  lastStats(): Record<string, number> | null;
  stop(): Promise<void>;
}

export async function spawnFleet(
  args: string[],
  opts: { readyTimeoutMs?: number; log?: (line: string) => void } = {},
): Promise<FleetProcess> {
  const main = new URL("../../simulator/main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let stats: Record<string, number> | null = null;
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  const tail = tailLines(child.stderr, 20, (line) => {
    opts.log?.(line);
    if (/agents up in/.test(line)) resolveReady();
    const m = /^fleet: (\{.*\})$/.exec(line);
    if (m) {
      try {
        stats = JSON.parse(m[1]);
      } catch { /* partial line */ }
    }
  });
  child.status.then((s) => rejectReady(new Error(`fleet exited ${s.code}: ${tail.join("\n")}`)));
  const timer = setTimeout(
    () => rejectReady(new Error(`fleet not ready: ${tail.join("\n")}`)),
    opts.readyTimeoutMs ?? 60_000,
  );
  const stop = () => terminate(child, 5000);
  try {
    await ready;
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { pid: child.pid, lastStats: () => stats, stop };
}
