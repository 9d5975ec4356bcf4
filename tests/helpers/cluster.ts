/**
 * A 3-node JetStream cluster on loopback with temp stores (tests, demos, `deno task cluster`).
 * Each node can be killed and restarted on the same ports and store.
 */
import { findNatsServer } from "../../lib/dev_broker.ts";
import { freePort } from "./nats_server.ts";

export interface ClusterNode {
  name: string;
  port: number;
  clusterPort: number;
  url: string;
  storeDir: string;
  running(): boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface Cluster {
  nodes: ClusterNode[];
  /** All client URLs, for a server list. */
  urls: string[];
  stop(): Promise<void>;
}

async function waitReady(port: number, timeoutMs: number) {
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
  throw new Error(`cluster node on ${port} not ready`);
}

export async function startCluster(opts: { size?: number; name?: string } = {}): Promise<Cluster> {
  const bin = await findNatsServer();
  if (!bin) throw new Error("nats-server not installed");
  const size = opts.size ?? 3;
  const base = await Deno.makeTempDir({ prefix: "kanade-cluster-" });
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `n${i + 1}`,
    port: freePort(),
    clusterPort: freePort(),
    storeDir: `${base}/n${i + 1}`,
  }));
  const nodes: ClusterNode[] = specs.map((s) => {
    let child: Deno.ChildProcess | null = null;
    const routes = specs.filter((o) => o !== s).map((o) => `nats://127.0.0.1:${o.clusterPort}`)
      .join(",");
    return {
      ...s,
      url: `nats://127.0.0.1:${s.port}`,
      running: () => child !== null,
      async start() {
        child = new Deno.Command(bin, {
          args: [
            "-js",
            "-n",
            s.name,
            "-a",
            "127.0.0.1",
            "-p",
            String(s.port),
            "-sd",
            s.storeDir,
            "--cluster_name",
            opts.name ?? "kanade",
            "--cluster",
            `nats://127.0.0.1:${s.clusterPort}`,
            "--routes",
            routes,
          ],
          stdout: "null",
          stderr: "null",
        }).spawn();
        await waitReady(s.port, 10_000);
      },
      async kill() {
        if (!child) return;
        const c = child;
        child = null;
        try {
          c.kill("SIGKILL");
        } catch { /* gone */ }
        await c.status;
      },
    };
  });
  await Promise.all(nodes.map((n) => n.start()));
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      await Deno.remove(base, { recursive: true }).catch(() => {});
    },
  };
}

/** Wait until JetStream has a meta leader and answers account info through `url`. */
export async function waitJetStreamReady(urls: string[], timeoutMs = 30_000): Promise<void> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    const nc = await connect({ servers: urls }).catch((e) => {
      last = e;
      return null;
    });
    if (nc) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        // A stream create needs a meta leader; account info alone can answer before that.
        const name = `READY_${crypto.randomUUID().slice(0, 8)}`;
        await jsm.streams.add({ name, subjects: [`ready.${name}`], num_replicas: urls.length });
        await jsm.streams.delete(name);
        await nc.close();
        return;
      } catch (e) {
        last = e;
        await nc.close();
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`JetStream cluster not ready: ${last}`);
}
