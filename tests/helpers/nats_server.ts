/**
 * A private `nats-server -js` per suite: free port, temp store dir, torn down after.
 * `restart()` keeps the port and store (broker-restart scenarios).
 */
import { findNatsServer } from "../../lib/dev_broker.ts";
import { killNow, restarter, waitListening } from "./child.ts";

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  stop(): Promise<void>;
  /** Kill (SIGKILL) and start again on the same port and store. */
  restart(opts?: { downMs?: number }): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  /**
   * Signal the running server (SIGSTOP / SIGCONT: a broker that stops answering); resolves
   * once the kernel reports the process stopped (SIGSTOP) or running again (SIGCONT).
   */
  signal(sig: Deno.Signal): Promise<void>;
  /** The running server's process id (benchmarks read its CPU time). */
  pid(): number | null;
}

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export interface NatsServerOptions {
  extraArgs?: string[];
  /** A configuration file (`-c`), e.g. the shipped `deploy/permissions.conf`. */
  configFile?: string;
  /** Environment of the server process (passwords the config refers to). */
  env?: Record<string, string>;
  /** Write the server's log here (`-l`), e.g. to read its permission violations. */
  logFile?: string;
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = await findNatsServer();
  if (!bin) throw new Error("nats-server not installed (apt-get install -y nats-server)");
  const port = freePort();
  const storeDir = await Deno.makeTempDir({ prefix: "kanade-nats-" });
  let child: Deno.ChildProcess | null = null;
  const start = async () => {
    child = new Deno.Command(bin, {
      args: [
        "-js",
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        "-sd",
        storeDir,
        ...(opts.configFile ? ["-c", opts.configFile] : []),
        ...(opts.logFile ? ["-l", opts.logFile] : []),
        ...(opts.extraArgs ?? []),
      ],
      env: opts.env,
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitListening(port, 10_000, "nats-server");
  };
  const kill = async () => {
    if (!child) return;
    const c = child;
    child = null;
    await killNow(c);
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    start,
    kill,
    restart: restarter(kill, start),
    pid: () => child?.pid ?? null,
    async signal(sig) {
      const c = child;
      if (!c) return;
      c.kill(sig);
      if (sig !== "SIGSTOP" && sig !== "SIGCONT") return;
      // kill(2) returns before the target has stopped: wait for /proc to say so.
      const want = sig === "SIGSTOP";
      for (let i = 0; i < 200; i++) {
        const stat = await Deno.readTextFile(`/proc/${c.pid}/stat`).catch(() => "");
        const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        if ((state === "T") === want) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop() {
      await kill();
      await Deno.remove(storeDir, { recursive: true }).catch(() => {});
    },
  };
}
