/** Stopping a child process: the one grace-then-kill rule of the dev runner, tests and benches. */

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it exited. */
export async function terminate(child: Deno.ChildProcess, graceMs: number): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  const t = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, graceMs);
  await child.status;
  clearTimeout(t);
}
