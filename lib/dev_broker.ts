/**
 * `deno task dev`: when nothing answers at the NATS URL, start a local
 * `nats-server -js` with its store under `storeDir` (`./data/nats` by default), if the
 * binary exists.
 */
import { log } from "./log.ts";
import { retryWhile, withTimeout } from "../util/retry.ts";

export async function reachable(url: string, timeoutMs = 500): Promise<boolean> {
  const u = new URL(url.includes("://") ? url : `nats://${url}`);
  try {
    const connecting = Deno.connect({ hostname: u.hostname, port: Number(u.port || 4222) });
    const conn = await withTimeout(connecting, timeoutMs);
    if (!conn) {
      connecting.then((c) => c.close(), () => {}); // late: not reachable in time
      return false;
    }
    conn.close();
    return true;
  } catch {
    return false;
  }
}

export async function findNatsServer(): Promise<string | null> {
  for (const p of ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]) {
    try {
      await Deno.stat(p);
      return p;
    } catch { /* next */ }
  }
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", "command -v nats-server"],
      stdout: "piped",
    }).output();
    const p = new TextDecoder().decode(out.stdout).trim();
    return p || null;
  } catch {
    return null;
  }
}

export async function ensureDevBroker(
  url: string,
  storeDir = "./data/nats",
): Promise<Deno.ChildProcess | null> {
  if (await reachable(url)) return null;
  const bin = await findNatsServer();
  if (!bin) {
    throw new Error(
      `nothing answers at ${url} and nats-server is not installed: apt-get install -y nats-server (or set KANADE_NATS_URL)`,
    );
  }
  const u = new URL(url.includes("://") ? url : `nats://${url}`);
  await Deno.mkdir(storeDir, { recursive: true });
  const child = new Deno.Command(bin, {
    args: ["-js", "-a", u.hostname, "-p", u.port || "4222", "-sd", storeDir],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Up to 5 s for it to listen; start-up goes on either way (its own connect retries).
  const notYet = new Error("nats-server not listening yet");
  await retryWhile(async () => {
    if (!await reachable(url)) throw notYet;
  }, { transient: (e) => e === notYet, maxAttempts: 50, firstPauseMs: 100, maxPauseMs: 100 })
    .catch(() => {});
  log.info("started local nats-server for dev", { url, store: storeDir });
  return child;
}
