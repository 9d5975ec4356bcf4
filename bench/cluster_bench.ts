/**
 * Single node vs 3-node cluster (issue 10), same run, same code: ExecResults are published
 * into RESULTS (each awaited for its JetStream ack, a window in flight, as agents do), then
 * the results projector starts on the backlog and drains it into a fresh libSQL file.
 *  - publish: acked results/s (R1 on one node, R3 across three nodes);
 *  - projection: results/s from projector start to the last row committed.
 * `--quick`: small sizes for a smoke run.
 */
import type { BenchContext, BenchRow, BenchSuite } from "./types.ts";
import { median } from "./types.ts";
import { loadConfig } from "../lib/config.ts";
import { closeDeps, createDeps, type Deps } from "../lib/deps.ts";
import { startProjectors } from "../projectors/mod.ts";
import { CONSUMER, STREAM, subjects } from "../wire/names.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { jsonBytes } from "../wire/codec.ts";
import {
  type BackendProcess,
  clusterResult,
  spawnBackend,
  startCluster,
  waitJetStreamReady,
} from "../tests/helpers/cluster.ts";
import { type Db, openDb } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { log as rootLog } from "../lib/log.ts";

interface Sample {
  publishPerSec: number;
  projectPerSec: number;
}

const quiet = {
  ...rootLog,
  debug() {},
  info() {},
  child() {
    return quiet;
  },
} as typeof rootLog;

export async function publishAll(deps: Deps, n: number, window: number): Promise<number> {
  const payloads = Array.from({ length: n }, (_, i) => {
    const r = clusterResult(`PC-${String(i % 1000).padStart(4, "0")}`, i);
    return { subject: subjects.results(r.request_id), data: jsonBytes(encodeExecResult(r)) };
  });
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < payloads.length) {
      const p = payloads[next++];
      await deps.nats.js.publish(p.subject, p.data, { timeout: 10_000 });
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return n / ((performance.now() - t0) / 1000);
}

/**
 * Starts the results projector on a published backlog of `n` results and measures it
 * until every one is applied; checks that `n` rows landed. Results/s.
 */
export async function drainBacklog(deps: Deps, n: number, what = "backlog"): Promise<number> {
  const t0 = performance.now();
  const proj = await startProjectors(deps, { only: ["results"] });
  try {
    const stats = proj.projectors[0].stats;
    const until = Date.now() + 300_000;
    while (stats.applied < n) {
      if (Date.now() > until) throw new Error(`${what}: projected ${stats.applied}/${n} in 300 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const perSec = n / ((performance.now() - t0) / 1000);
    const rows = await countRows(deps.db);
    if (rows !== n) throw new Error(`${what}: expected ${n} rows, found ${rows}`);
    return perSec;
  } finally {
    await proj.stop();
  }
}

/** Backlog drain in this process: R1 single node or R3 cluster, one projector. */
async function backlogRun(servers: string[], replicas: number, n: number): Promise<Sample> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-cluster-bench-" });
  const deps = await makeDeps(servers, replicas, `file:${dir}/a.db`, "a", "shared");
  try {
    await cleanBacklog(deps);
    const publishPerSec = await publishAll(deps, n, 256);
    const projectPerSec = await drainBacklog(deps, n);
    return { publishPerSec, projectPerSec };
  } finally {
    await closeDeps(deps);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** How live results are projected by separate backend processes. */
type Topology = "one" | "shared2" | "local2";

/**
 * Projector processes (`main.ts --projectors --only results`, separate OS processes as in
 * production: SQLite's busy wait blocks a whole event loop, so two writers in one isolate
 * would deadlock on each other) are started and pulling; then `n` results are published
 * and the clock runs until every node's DB holds all of them: publish → project, pipelined.
 */
async function liveRun(servers: string[], n: number, topology: Topology): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-cluster-bench-" });
  const mode = topology === "local2" ? "local" : "shared";
  const nodes = topology === "one" ? ["a"] : ["a", "b"];
  const dbOf = (node: string) => `file:${dir}/${topology === "local2" ? node : "a"}.db`;
  const procs: BackendProcess[] = [];
  const pub = await makeDeps(servers, 3, `file:${dir}/publisher.db`, "pub", "shared");
  const dbs: Db[] = [];
  try {
    await cleanBacklog(pub);
    for (const node of nodes) {
      // Migrate first, so the processes do not race on an empty file.
      const db = await openDb({ url: dbOf(node) });
      await migrate(db);
      dbs.push(db);
    }
    for (const node of nodes) {
      procs.push(
        await spawnBackend({
          servers,
          dbUrl: dbOf(node),
          nodeId: node,
          token: "bench-token-0123456789abcdef",
          args: ["--projectors", "--only", "results"],
          env: { KANADE_PROJECTION_MODE: mode },
          replicas: 3,
          waitHealthy: false,
          logDir: dir,
        }),
      );
    }
    const durables = mode === "local"
      ? nodes.map((x) => `${CONSUMER.results}_${x}`)
      : [CONSUMER.results];
    const until = Date.now() + 60_000;
    for (;;) {
      const infos = await Promise.all(
        durables.map((d) => pub.nats.jsm.consumers.info(STREAM.results, d).catch(() => null)),
      );
      const pulling = infos.reduce((sum, i) => sum + (i?.num_waiting ?? 0), 0);
      if (infos.every(Boolean) && pulling >= nodes.length) break;
      if (Date.now() > until) throw new Error(`${topology}: projector processes not pulling`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = performance.now();
    await publishAll(pub, n, 256);
    const deadline = Date.now() + 300_000;
    for (const db of dbs) {
      while (await countRows(db) < n) {
        if (Date.now() > deadline) throw new Error(`${topology}: not projected within 300 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const perSec = n / ((performance.now() - t0) / 1000);
    for (const db of dbs) {
      const rows = await countRows(db);
      if (rows !== n) throw new Error(`${topology}: expected ${n} rows, found ${rows}`);
    }
    return perSec;
  } finally {
    for (const p of procs) await p.stop(5_000).catch(() => {});
    for (const db of dbs) db.close();
    await closeDeps(pub);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export async function makeDeps(
  servers: string[],
  replicas: number,
  db: string,
  node: string,
  mode: string,
): Promise<Deps> {
  const config = loadConfig({
    env: {
      KANADE_NATS_URL: servers.join(","),
      KANADE_DB_URL: db,
      KANADE_JS_REPLICAS: String(replicas),
      KANADE_AUTH_DISABLE: "1",
      KANADE_NODE_ID: node,
      KANADE_PROJECTION_MODE: mode,
    },
    args: [],
  });
  return { ...await createDeps(config, { name: `kanade-cluster-bench-${node}` }), log: quiet };
}

/** A clean backlog per run: no earlier results, no consumer positions. */
export async function cleanBacklog(deps: Deps): Promise<void> {
  await deps.nats.jsm.streams.purge(STREAM.results);
  const list = await deps.nats.jsm.consumers.list(STREAM.results).next();
  for (const c of list) {
    await deps.nats.jsm.consumers.delete(STREAM.results, c.name).catch(() => {});
  }
}

export async function countRows(db: Db): Promise<number> {
  return Number((await db.execute("SELECT COUNT(*) AS n FROM execution_results")).rows[0].n);
}

function rows(label: string, samples: Sample[], n: number, base?: Sample[]): BenchRow[] {
  const pub = samples.map((s) => Math.round(s.publishPerSec));
  const proj = samples.map((s) => Math.round(s.projectPerSec));
  const ratio = (xs: number[], ys?: number[]) =>
    ys ? ` (${(median(xs) / median(ys)).toFixed(2)}× single node)` : "";
  return [
    {
      name: `${label}: publish, acked`,
      median: median(pub),
      unit: "results/s",
      samples: pub,
      note: `${n} results, 256 in flight${
        ratio(pub, base?.map((s) => Math.round(s.publishPerSec)))
      }`,
    },
    {
      name: `${label}: results projector drain`,
      median: median(proj),
      unit: "results/s",
      samples: proj,
      note: `${n}-result backlog into libSQL${
        ratio(proj, base?.map((s) => Math.round(s.projectPerSec)))
      }`,
    },
  ];
}

export const suite: BenchSuite = {
  name: "cluster",
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const n = ctx.quick ? 2_000 : 20_000;
    const runs = ctx.quick ? 2 : 3;
    const single: Sample[] = [];
    const clustered: Sample[] = [];
    const live: Record<Topology, number[]> = { one: [], shared2: [], local2: [] };
    const broker = await startNatsServer();
    const cluster = await startCluster({ size: 3 });
    try {
      await waitJetStreamReady(cluster.urls);
      const say = (what: string, i: number, s: Sample) =>
        ctx.log(
          `${what} run ${i + 1}: ${s.publishPerSec.toFixed(0)} pub/s, ${
            s.projectPerSec.toFixed(0)
          } projected/s`,
        );
      // Interleaved, so drift on a shared machine hits every setup alike.
      for (let i = 0; i < runs; i++) {
        single.push(await backlogRun([broker.url], 1, n));
        say("single node", i, single[i]);
        clustered.push(await backlogRun(cluster.urls, 3, n));
        say("3-node R3", i, clustered[i]);
        for (const topo of ["one", "shared2", "local2"] as const) {
          live[topo].push(await liveRun(cluster.urls, n, topo));
          ctx.log(`3-node R3 live ${topo} run ${i + 1}: ${live[topo][i].toFixed(0)} results/s`);
        }
      }
    } finally {
      await broker.stop();
      await cluster.stop();
    }
    const liveRow = (label: string, topo: Topology, note: string): BenchRow => {
      const v = live[topo].map(Math.round);
      const base = median(live.one.map(Math.round));
      return {
        name: label,
        median: median(v),
        unit: "results/s",
        samples: v,
        note: topo === "one" ? note : `${note} (${(median(v) / base).toFixed(2)}× one process)`,
      };
    };
    return [
      ...rows("single node (R1)", single, n),
      ...rows("3-node cluster (R3)", clustered, n, single),
      liveRow(
        "3-node R3 live: 1 projector process",
        "one",
        `${n} results published → all projected`,
      ),
      liveRow(
        "3-node R3 live: 2 processes, shared durable, one DB file",
        "shared2",
        "topology (a)",
      ),
      liveRow(
        "3-node R3 live: 2 local-mode processes, own durable + DB",
        "local2",
        "topology (b), until both DBs hold all rows",
      ),
    ];
  },
};
