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
import { clusterResult, startCluster, waitJetStreamReady } from "../tests/helpers/cluster.ts";
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

async function publishAll(deps: Deps, n: number, window: number): Promise<number> {
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

/** How the backlog is projected: one process, two sharing the durable, two local nodes. */
type Variant = "one" | "shared2" | "local2";

async function makeDeps(
  servers: string[],
  replicas: number,
  db: string,
  node: string,
  mode: string,
) {
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

async function countRows(deps: Deps): Promise<number> {
  return Number((await deps.db.execute("SELECT COUNT(*) AS n FROM execution_results")).rows[0].n);
}

async function oneRun(
  servers: string[],
  replicas: number,
  n: number,
  variant: Variant = "one",
): Promise<Sample> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-cluster-bench-" });
  const mode = variant === "local2" ? "local" : "shared";
  const dbA = `file:${dir}/a.db`;
  const dbB = variant === "local2" ? `file:${dir}/b.db` : dbA;
  const all: Deps[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const a = await makeDeps(servers, replicas, dbA, "a", mode);
    all.push(a);
    // A clean backlog per run: no earlier results, no consumer positions.
    await a.nats.jsm.streams.purge(STREAM.results);
    for (const d of [CONSUMER.results, `${CONSUMER.results}_a`, `${CONSUMER.results}_b`]) {
      await a.nats.jsm.consumers.delete(STREAM.results, d).catch(() => {});
    }
    const b = variant === "one" ? null : await makeDeps(servers, replicas, dbB, "b", mode);
    if (b) all.push(b);
    const publishPerSec = await publishAll(a, n, 256);

    const until = Date.now() + 300_000;
    const t0 = performance.now();
    const pa = await startProjectors(a, { only: ["results"] });
    stops.push(() => pa.stop());
    const applied = [pa.projectors[0].stats];
    if (b) {
      if (variant === "shared2") {
        // The second process joins once the first has committed rows: on an empty table
        // it would reset the shared durable (projectors/mod.ts, rebuild-on-empty).
        while (applied[0].applied === 0 && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      const pb = await startProjectors(b, { only: ["results"] });
      stops.push(() => pb.stop());
      applied.push(pb.projectors[0].stats);
    }
    const done = async () => {
      if (variant === "shared2") return await countRows(a) >= n;
      return applied.every((s) => s.applied >= n);
    };
    while (!(await done())) {
      if (Date.now() > until) throw new Error(`${variant}: not projected within 300 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const projectPerSec = n / ((performance.now() - t0) / 1000);
    for (const d of variant === "local2" ? all : [a]) {
      const rows = await countRows(d);
      if (rows !== n) throw new Error(`${variant}: expected ${n} rows, found ${rows}`);
    }
    return { publishPerSec, projectPerSec };
  } finally {
    for (const s of stops) await s().catch(() => {});
    for (const d of all) await closeDeps(d);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
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
    const shared2: Sample[] = [];
    const local2: Sample[] = [];
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
        single.push(await oneRun([broker.url], 1, n));
        say("single node", i, single[i]);
        clustered.push(await oneRun(cluster.urls, 3, n));
        say("3-node R3", i, clustered[i]);
        shared2.push(await oneRun(cluster.urls, 3, n, "shared2"));
        say("3-node R3, 2 shared projectors", i, shared2[i]);
        local2.push(await oneRun(cluster.urls, 3, n, "local2"));
        say("3-node R3, 2 local nodes", i, local2[i]);
      }
    } finally {
      await broker.stop();
      await cluster.stop();
    }
    const drain = (label: string, xs: Sample[], note: string): BenchRow => {
      const v = xs.map((s) => Math.round(s.projectPerSec));
      const base = median(single.map((s) => Math.round(s.projectPerSec)));
      return {
        name: label,
        median: median(v),
        unit: "results/s",
        samples: v,
        note: `${note} (${(median(v) / base).toFixed(2)}× single node)`,
      };
    };
    return [
      ...rows("single node (R1)", single, n),
      ...rows("3-node cluster (R3)", clustered, n, single),
      drain(
        "3-node R3: 2 projector processes, shared durable, one DB",
        shared2,
        `${n} backlog, topology (a)`,
      ),
      drain(
        "3-node R3: 2 local-mode nodes, own durable + DB each",
        local2,
        `${n} backlog, until both hold all rows, topology (b)`,
      ),
    ];
  },
};
