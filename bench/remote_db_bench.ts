/**
 * What topology (a) costs (issue 10): the results projector writing to a remote libSQL
 * server (sqld over Hrana/HTTP on loopback) next to a local libSQL file, same run, same code.
 *  - backlog drain: `n` results published into RESULTS on one nats-server, then one
 *    in-process projector drains them (clock from projector start to the last row);
 *  - live, 3-node R3 cluster: two projector processes sharing the durable and ONE database
 *    (a file, or the server) while `n` results are published: publish → all projected.
 * Runs are interleaved so drift on a shared machine hits both databases alike.
 * `--quick`: small sizes for a smoke run.
 */
import type { BenchContext, BenchRow, BenchSuite } from "./types.ts";
import { median } from "./types.ts";
import { closeDeps, type Deps } from "../lib/deps.ts";
import { CONSUMER, STREAM } from "../wire/names.ts";
import {
  type BackendProcess,
  spawnBackend,
  startCluster,
  waitJetStreamReady,
} from "../tests/helpers/cluster.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { type SqldServer, startSqld } from "../tests/helpers/sqld.ts";
import { cleanBacklog, countRows, drainBacklog, makeDeps, publishAll } from "./cluster_bench.ts";

type Store = "file" | "sqld";

/** A fresh, empty database of either kind, and how to throw it away. */
async function freshDb(store: Store): Promise<{ url: string; drop(): Promise<void> }> {
  if (store === "sqld") {
    const s: SqldServer = await startSqld();
    return { url: s.url, drop: () => s.stop() };
  }
  const dir = await Deno.makeTempDir({ prefix: "kanade-remote-bench-" });
  return {
    url: `file:${dir}/kanade.db`,
    drop: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

async function waitRows(deps: Pick<Deps, "db">, n: number, what: string): Promise<void> {
  const until = Date.now() + 300_000;
  while (await countRows(deps.db) < n) {
    if (Date.now() > until) throw new Error(`${what}: not projected within 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Backlog drain by one in-process projector (R1, so the broker is not what is measured). */
async function backlogRun(server: string, store: Store, n: number): Promise<number> {
  const db = await freshDb(store);
  const deps = await makeDeps([server], 1, db.url, "a", "shared");
  try {
    await cleanBacklog(deps);
    await publishAll(deps, n, 256);
    return await drainBacklog(deps, n, store);
  } finally {
    await closeDeps(deps);
    await db.drop();
  }
}

/** Two projector processes, shared durable, one database; publish and projection pipelined. */
async function liveRun(servers: string[], store: Store, n: number): Promise<number> {
  const db = await freshDb(store);
  const logDir = await Deno.makeTempDir({ prefix: "kanade-remote-bench-log-" });
  // The publisher's deps also migrate the database before the projectors start.
  const pub = await makeDeps(servers, 3, db.url, "pub", "shared");
  const procs: BackendProcess[] = [];
  try {
    await cleanBacklog(pub);
    for (const node of ["a", "b"]) {
      procs.push(
        await spawnBackend({
          servers,
          dbUrl: db.url,
          nodeId: node,
          token: "bench-token-0123456789abcdef",
          args: ["--projectors", "--only", "results"],
          env: { KANADE_PROJECTION_MODE: "shared" },
          replicas: 3,
          waitHealthy: false,
          logDir,
        }),
      );
    }
    const until = Date.now() + 60_000;
    for (;;) {
      const info = await pub.nats.jsm.consumers.info(STREAM.results, CONSUMER.results)
        .catch(() => null);
      if ((info?.num_waiting ?? 0) >= 2) break;
      if (Date.now() > until) throw new Error(`${store}: projector processes not pulling`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = performance.now();
    await publishAll(pub, n, 256);
    await waitRows(pub, n, store);
    const perSec = n / ((performance.now() - t0) / 1000);
    const rows = await countRows(pub.db);
    if (rows !== n) throw new Error(`${store}: expected ${n} rows, found ${rows}`);
    return perSec;
  } finally {
    for (const p of procs) await p.stop(5_000).catch(() => {});
    await closeDeps(pub);
    await db.drop();
    await Deno.remove(logDir, { recursive: true }).catch(() => {});
  }
}

export const suite: BenchSuite = {
  name: "remote_db",
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const n = ctx.quick ? 2_000 : 20_000;
    const runs = ctx.quick ? 2 : 3;
    const backlog: Record<Store, number[]> = { file: [], sqld: [] };
    const live: Record<Store, number[]> = { file: [], sqld: [] };
    // 1-minute load average around every run: on a shared 2-core box it says how far to
    // trust the medians.
    const loads: number[] = [Deno.loadavg()[0]];
    const broker = await startNatsServer();
    const cluster = await startCluster({ size: 3 });
    try {
      await waitJetStreamReady(cluster.urls);
      for (let i = 0; i < runs; i++) {
        for (const store of ["file", "sqld"] as const) {
          backlog[store].push(Math.round(await backlogRun(broker.url, store, n)));
          ctx.log(`backlog ${store} run ${i + 1}: ${backlog[store][i]} results/s`);
        }
        for (const store of ["file", "sqld"] as const) {
          live[store].push(Math.round(await liveRun(cluster.urls, store, n)));
          ctx.log(`live shared2 ${store} run ${i + 1}: ${live[store][i]} results/s`);
        }
        loads.push(Deno.loadavg()[0]);
      }
    } finally {
      await broker.stop();
      await cluster.stop();
    }
    const load = `load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
    const row = (name: string, xs: number[], note: string, base?: number[]): BenchRow => ({
      name,
      median: median(xs),
      unit: "results/s",
      samples: xs,
      note: `${
        base ? `${note} (${(median(xs) / median(base)).toFixed(2)}× local file)` : note
      }; ${load}`,
    });
    return [
      row("backlog drain → local file", backlog.file, `${n}-result backlog, 1 projector, R1`),
      row(
        "backlog drain → sqld (HTTP, loopback)",
        backlog.sqld,
        `${n}-result backlog, 1 projector, R1`,
        backlog.file,
      ),
      row(
        "3-node R3 live, 2 processes, shared durable → one local file",
        live.file,
        `${n} results published → all projected`,
      ),
      row(
        "3-node R3 live, 2 processes, shared durable → one sqld",
        live.sqld,
        `topology (a) as deployed`,
        live.file,
      ),
    ];
  },
};
