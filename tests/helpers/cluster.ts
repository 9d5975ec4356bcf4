/**
 * A 3-node JetStream cluster on loopback with temp stores (tests, demos, `deno task cluster`).
 * Each node can be killed and restarted on the same ports and store.
 */
import assert from "node:assert/strict";
import type { JetStreamClient } from "@nats-io/jetstream";
import { findNatsServer } from "../../lib/dev_broker.ts";
import { freePort } from "./nats_server.ts";
import { killNow, terminate, waitListening } from "./child.ts";
import {
  type Command,
  CommandSchema,
  encodeExecResult,
  type ExecResult,
} from "../../wire/messages.ts";
import { subjects } from "../../wire/names.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { wireTs } from "../../wire/time.ts";

export interface ClusterNode {
  name: string;
  port: number;
  clusterPort: number;
  url: string;
  storeDir: string;
  running(): boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  /**
   * SIGSTOP: the node stops answering but its sockets stay open, so its clients' requests
   * hang (as one sent to a node just before it dies) while the others elect new leaders.
   */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
}

export interface Cluster {
  nodes: ClusterNode[];
  /** All client URLs, for a server list. */
  urls: string[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  size?: number;
  name?: string;
  /**
   * Broker users: every node starts with this config file (`deploy/permissions.conf`)
   * and the environment holding the passwords it refers to.
   */
  permissions?: { configFile: string; env: Record<string, string> };
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
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
            ...(opts.permissions ? ["-c", opts.permissions.configFile] : []),
          ],
          env: opts.permissions?.env,
          stdout: "null",
          stderr: "null",
        }).spawn();
        await waitListening(s.port, 10_000, "cluster node");
      },
      pause() {
        child?.kill("SIGSTOP");
      },
      resume() {
        child?.kill("SIGCONT");
      },
      async kill() {
        if (!child) return;
        const c = child;
        child = null;
        try {
          c.kill("SIGCONT"); // a paused node must still die
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
export async function waitJetStreamReady(
  urls: string[],
  timeoutMs = 30_000,
  auth: { user?: string; pass?: string } = {},
): Promise<void> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    const nc = await connect({ servers: urls, ...auth }).catch((e) => {
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

// ------------------------------------------------------------------ backend processes

export interface BackendProcess {
  nodeId: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Where the process's stdout/stderr go (JSON log lines), for post-mortems. */
  logFile: string;
  /** Authenticated fetch against this process. */
  request(path: string, init?: RequestInit): Promise<Response>;
  running(): boolean;
  /** SIGKILL: no shutdown hooks, no lease release, no drain (a crashed host). */
  kill(): Promise<void>;
  /** SIGTERM and wait (falls back to SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnBackendOptions {
  servers: string[];
  /** `file:` (one shared file or a local read model) or a libSQL server (tests/helpers/sqld.ts). */
  dbUrl: string;
  /** KANADE_DB_AUTH_TOKEN for a libSQL server that requires one. */
  dbAuthToken?: string;
  nodeId: string;
  token: string;
  /** main.ts component flags, e.g. ["--api", "--projectors", "--scheduler"]. */
  args?: string[];
  replicas?: number;
  env?: Record<string, string>;
  /** Wait until `/health` answers (default true when `--api` runs). */
  waitHealthy?: boolean;
  logDir?: string;
}

/**
 * Start `deno run -A main.ts` as a separate OS process (its own event loop, NATS
 * connection, DB handle and in-process state), as a real deployment runs it.
 */
export async function spawnBackend(opts: SpawnBackendOptions): Promise<BackendProcess> {
  const port = freePort();
  const args = opts.args ?? ["--api", "--projectors", "--scheduler"];
  const logDir = opts.logDir ?? await Deno.makeTempDir({ prefix: "kanade-backend-log-" });
  const logFile = `${logDir}/${opts.nodeId}.log`;
  const out = await Deno.open(logFile, { create: true, append: true });
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    env: {
      NO_COLOR: "1",
      KANADE_LOG_LEVEL: "warn",
      KANADE_NATS_URL: opts.servers.join(","),
      KANADE_DB_URL: opts.dbUrl,
      ...(opts.dbAuthToken ? { KANADE_DB_AUTH_TOKEN: opts.dbAuthToken } : {}),
      KANADE_AUTH_STATIC_TOKEN: opts.token,
      KANADE_BIND: `127.0.0.1:${port}`,
      KANADE_NODE_ID: opts.nodeId,
      KANADE_JS_REPLICAS: String(opts.replicas ?? opts.servers.length),
      ...opts.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Both streams into one file; the pipes must be drained or the child blocks on write.
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) await out.write(chunk).catch(() => {});
  };
  const pumps = Promise.allSettled([pump(child.stdout), pump(child.stderr)]);
  let alive = true;
  const status = child.status.then((s) => {
    alive = false;
    return s;
  });
  const done = async () => {
    await status;
    await pumps;
    try {
      out.close();
    } catch { /* closed */ }
  };
  const url = `http://127.0.0.1:${port}`;
  const proc: BackendProcess = {
    nodeId: opts.nodeId,
    port,
    url,
    logFile,
    request(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${opts.token}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    running: () => alive,
    async kill() {
      if (alive) await killNow(child);
      await done();
    },
    async stop(graceMs = 10_000) {
      if (alive) {
        await terminate(child, graceMs);
      }
      await done();
    },
  };
  if (opts.waitHealthy ?? args.includes("--api")) {
    const until = Date.now() + 60_000;
    for (;;) {
      if (!alive) {
        await done();
        const log = await Deno.readTextFile(logFile).catch(() => "");
        throw new Error(`backend ${opts.nodeId} exited during start:\n${log.slice(-4000)}`);
      }
      const ok = await fetch(`${url}/health`).then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      }).catch(() => false);
      if (ok) break;
      if (Date.now() > until) {
        await proc.kill();
        throw new Error(`backend ${opts.nodeId} not healthy within 60 s (log: ${logFile})`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return proc;
}

// ------------------------------------------------------------------ flood + inspection

/** A finished, stand-alone ExecResult (no exec) as an agent would publish it. */
export function clusterResult(pcId: string, n: number): ExecResult {
  const now = Date.now();
  return {
    result_id: crypto.randomUUID(),
    request_id: crypto.randomUUID(),
    pc_id: pcId,
    exit_code: n % 10 === 0 ? 1 : 0,
    stdout: `flood ${n}`,
    stderr: "",
    started_at: wireTs(now - 5),
    finished_at: wireTs(now),
  };
}

/**
 * Publish one result into RESULTS and retry until JetStream acks it (an agent's outbox
 * does the same). No message id on purpose: a retry after a lost ack stores a second
 * copy, which the projector must fold into the same row.
 */
export async function publishUntilAcked(
  js: JetStreamClient,
  r: ExecResult,
  timeoutMs = 60_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  const data = jsonBytes(encodeExecResult(r));
  for (let i = 0;; i++) {
    try {
      await js.publish(subjects.results(r.request_id), data, { timeout: 2_000 });
      return;
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((res) => setTimeout(res, Math.min(1_000, 100 * (i + 1))));
    }
  }
}

export interface CommandTap {
  /** Distinct Commands seen (by request_id), in arrival order. */
  commands(): Command[];
  /** Messages the first connection received (publishes, duplicates included). */
  raw(): number;
  stop(): Promise<void>;
}

/**
 * Listen to a command subject on every node at once (one connection pinned to each
 * server), so a node going down loses nothing: each Command is seen through at least one
 * surviving node. (EXEC keeps one message per subject, so it cannot be read back later.)
 */
export async function tapCommands(urls: string[], subject: string): Promise<CommandTap> {
  const { connect } = await import("@nats-io/transport-node");
  const seen = new Map<string, Command>();
  const conns = await Promise.all(urls.map((u) =>
    connect({
      servers: u,
      ignoreClusterUpdates: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    })
  ));
  let raw = 0;
  for (const c of conns) {
    c.subscribe(subject, {
      callback: (_err, m) => {
        if (c === conns[0]) raw++;
        try {
          const p = CommandSchema.safeParse(m.json());
          if (p.success && !seen.has(p.data.request_id)) seen.set(p.data.request_id, p.data);
        } catch { /* not JSON */ }
      },
    });
  }
  await Promise.all(conns.map((c) => c.flush()));
  return {
    commands: () => [...seen.values()],
    raw: () => raw,
    async stop() {
      await Promise.all(conns.map((c) => c.close().catch(() => {})));
    },
  };
}

// ------------------------------------------------------------------ shared scale-test parts

/** The backends' warnings, errors and non-JSON lines (their logs vanish with the temp dir). */
export async function backendPostMortem(procs: BackendProcess[], tail = 40): Promise<void> {
  for (const p of procs) {
    const lines = (await Deno.readTextFile(p.logFile).catch(() => "")).split("\n")
      .filter((l) => /"level":"(warn|error)"/.test(l) || (l && !l.startsWith("{")));
    console.error(
      `--- ${p.nodeId} (${lines.length} warn/error lines)\n${lines.slice(-tail).join("\n")}`,
    );
  }
}

export interface Probe {
  node: string;
  path: string;
  at: number;
  /** -1: no HTTP answer. */
  ms: number;
  ok: boolean;
  detail: string;
}

/**
 * One independent GET loop per process and path (a request stuck on one must not keep the
 * others from being asked) until `stop()`, which returns every probe. A process that dies
 * stops being asked.
 */
export function startProbes(
  procs: BackendProcess[],
  paths: string[],
  opts: { intervalMs?: number; timeoutMs?: number } = {},
): { probes: Probe[]; stop(): Promise<Probe[]> } {
  const probes: Probe[] = [];
  let probing = true;
  const loop = async (p: BackendProcess, path: string) => {
    while (probing && p.running()) {
      const at = Date.now();
      try {
        const r = await p.request(path, {
          signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
        });
        const body = await r.text();
        probes.push({
          node: p.nodeId,
          path,
          at,
          ms: Date.now() - at,
          ok: r.ok,
          detail: `${path} ${r.status} ${body.slice(0, 120)}`,
        });
      } catch (e) {
        if (!p.running()) break; // killed while we asked
        probes.push({ node: p.nodeId, path, at, ms: -1, ok: false, detail: `${path} ${e}` });
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
    }
  };
  const all = Promise.all(procs.flatMap((p) => paths.map((x) => loop(p, x))));
  return {
    probes,
    async stop() {
      probing = false;
      await all;
      return probes;
    },
  };
}

/**
 * ExecResults published straight into RESULTS at `perSec`, spread over `pcIds`, each
 * retried until acked, until `stop()`. `ids` are the acked-or-pending result ids.
 */
export function startResultFlood(
  js: JetStreamClient,
  pcIds: string[],
  perSec: number,
): { ids: string[]; stop(): Promise<void> } {
  const ids: string[] = [];
  let flooding = true;
  const run = (async () => {
    const start = Date.now();
    let sent = 0;
    while (flooding) {
      const due = Math.floor(((Date.now() - start) / 1000) * perSec);
      const batch: Promise<void>[] = [];
      for (; sent < due; sent++) {
        const r = clusterResult(pcIds[sent % pcIds.length], sent);
        ids.push(r.result_id);
        batch.push(publishUntilAcked(js, r));
      }
      await Promise.all(batch);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    ids,
    async stop() {
      flooding = false;
      await run;
    },
  };
}

type Queryable = {
  execute(
    stmt: string | { sql: string; args: unknown[] },
  ): Promise<{ rows: Record<string, unknown>[] }>;
};

/**
 * Wait until the finished rows equal the expected result ids, twice in a row (agents'
 * outboxes may still be retrying, so `expected()` is re-read on every poll). Returns the
 * final expected set.
 */
export async function waitAllProjected(
  db: Queryable,
  expected: () => Set<string>,
  timeoutMs = 60_000,
): Promise<Set<string>> {
  let want = new Set<string>();
  let have = -1;
  let prev = -2;
  const until = Date.now() + timeoutMs;
  for (;;) {
    want = expected();
    const rs = await db.execute(
      "SELECT COUNT(*) AS n FROM execution_results WHERE finished_at IS NOT NULL",
    ).catch(() => null);
    prev = have;
    have = rs ? Number(rs.rows[0].n) : -1;
    if (have === want.size && prev === have) return want;
    if (Date.now() > until) {
      throw new Error(
        `timed out waiting for every acked result (have ${have}, expected ${want.size})`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Every expected result id is one finished row, no row is unexpected, and every
 * execution's counters equal its rows (nothing counted twice across projectors or
 * redeliveries). Returns the projected ids.
 */
export async function assertResultsExactlyOnce(
  db: Queryable,
  expected: Set<string>,
): Promise<string[]> {
  const rows = (await db.execute("SELECT result_id, finished_at FROM execution_results")).rows;
  const ids = rows.map((r) => String(r.result_id));
  assert.equal(new Set(ids).size, ids.length, "one row per result_id");
  const have = new Set(ids);
  const missing = [...expected].filter((id) => !have.has(id));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acked results not projected`);
  const extra = ids.filter((id) => !expected.has(id));
  assert.deepEqual(extra.slice(0, 5), [], "rows no publisher was acked for");
  assert.ok(rows.every((r) => r.finished_at !== null), "every row finished");
  const bad = (await db.execute(
    `SELECT e.exec_id, e.success_count + e.failure_count AS counted, COUNT(r.result_id) AS rows_
       FROM executions e LEFT JOIN execution_results r ON r.exec_id = e.exec_id
      GROUP BY e.exec_id HAVING counted != rows_`,
  )).rows;
  assert.deepEqual(bad, [], "execution counters equal their rows");
  return ids;
}
