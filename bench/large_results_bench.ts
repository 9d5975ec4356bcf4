/**
 * A backlog of large results (inventory-sized output, 120 KiB each) drained by the real
 * backend (`main.ts`, every component) from its own broker: how long until every row is
 * projected, and how often the broker cut the projectors' connection as a slow consumer
 * (counted in the broker's log) on the way.
 *
 * Why it is measured: the projectors pull by message count (nats.js `consume` takes a count
 * or a byte size, not both; the results projector asks for twice its batch), so for outputs
 * this size the broker queues hundreds of MiB for the connection at once and closes it once
 * more than its per-client `max_pending` (64 MiB by default) waits while the event loop is
 * busy. The projector recovers (nats.js reconnects, the messages come again after the ack
 * wait), but each cut costs that wait. docs/known_limits.md ("Large outputs") has the figures.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median } from "./types.ts";
import { freePort, startNatsServer } from "../tests/helpers/nats_server.ts";
import { spawnBackend } from "../tests/e2e/backend_process.ts";
import { connectNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { jobResult } from "../tests/helpers/results.ts";
import { sleep } from "../simulator/util.ts";
import { subjects } from "../wire/names.ts";
import { openDb, rowsOf } from "../db/client.ts";

const OUTPUT_KIB = 120;

export const suite: BenchSuite = {
  name: "large_results",
  async run(ctx) {
    const n = ctx.quick ? 1_000 : 4_000;
    const runs = ctx.quick ? 1 : 3;
    const secs: number[] = [];
    const cuts: number[] = [];
    const pendingMiB: number[] = [];
    for (let r = 0; r < runs; r++) {
      const dir = await Deno.makeTempDir({ prefix: "kanade-large-" });
      const logFile = `${dir}/broker.log`;
      const monitor = freePort();
      const broker = await startNatsServer({ logFile, extraArgs: ["-m", String(monitor)] });
      try {
        const nats = await connectNats({ natsServers: [broker.url] }, "bench-large-results");
        try {
          await setupJetStream(nats);
          await publishBacklog(nats.js, n);
        } finally {
          await nats.close();
        }
        const t0 = performance.now();
        const backend = await spawnBackend(broker.url, { readyTimeoutMs: 120_000 });
        try {
          const got = await drain(backend.dbPath, n, monitor, 300_000);
          secs.push((performance.now() - t0) / 1000);
          pendingMiB.push(got.maxPendingMiB);
        } finally {
          await backend.stop();
        }
        const log = await Deno.readTextFile(logFile).catch(() => "");
        cuts.push(log.split("\n").filter((l) => l.includes("Slow Consumer Detected")).length);
        ctx.log(
          `run ${r + 1}: ${n} results of ${OUTPUT_KIB} KiB projected in ${
            secs.at(-1)!.toFixed(1)
          } s; slow-consumer cuts ${
            cuts.at(-1)
          }; broker pending for the projectors' connection up to ${
            pendingMiB.at(-1)!.toFixed(1)
          } MiB`,
        );
      } finally {
        await broker.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
    const note = `${n} results of ${OUTPUT_KIB} KiB in RESULTS before the backend starts; ` +
      `the broker's default max_pending (64 MiB); load ${loadAvg()}`;
    return [
      {
        name: "backlog of large results: start of the backend until every row is projected",
        median: Number(median(secs).toFixed(1)),
        unit: "s",
        samples: secs.map((s) => Number(s.toFixed(1))),
        note,
      },
      {
        name: "backlog of large results: the projectors' connection cut as a slow consumer",
        median: median(cuts),
        unit: "times",
        samples: cuts,
        note,
      },
      {
        name:
          "backlog of large results: broker's pending bytes for the projectors' connection, max",
        median: Number(median(pendingMiB).toFixed(1)),
        unit: "MiB",
        samples: pendingMiB.map((v) => Number(v.toFixed(1))),
        note: `sampled every 200 ms from the broker's /connz; ${note}`,
      },
    ] satisfies BenchRow[];
  },
};

/** `n` finished results, each with OUTPUT_KIB of table-like stdout, acked by RESULTS. */
async function publishBacklog(
  js: Awaited<ReturnType<typeof connectNats>>["js"],
  n: number,
): Promise<void> {
  const line = "Name                 Status   StartType  C:\\Windows\\System32 Microsoft\n";
  const stdout = line.repeat(Math.ceil(OUTPUT_KIB * 1024 / line.length)).slice(
    0,
    OUTPUT_KIB * 1024,
  );
  for (let i = 0; i < n; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, k) => {
      // No job: the rows are plain results (no inventory or check projection).
      const r = jobResult(`LARGE-${String(i + k).padStart(5, "0")}`, "", {
        stdout,
        manifest_id: undefined,
      });
      return js.publish(subjects.results(r.request_id), JSON.stringify(encodeExecResult(r)));
    }));
  }
}

/** Polls the backend's DB until `n` rows; the largest pending the broker reported meanwhile. */
async function drain(dbPath: string, n: number, monitor: number, timeoutMs: number) {
  const db = await openDb({ url: `file:${dbPath}` });
  let maxPending = 0;
  try {
    for (const until = Date.now() + timeoutMs;;) {
      let rows = 0;
      try {
        rows = Number(
          rowsOf<{ n: number }>(await db.execute("SELECT count(*) AS n FROM execution_results"))[0]
            .n,
        );
      } catch { /* not migrated yet */ }
      try {
        const res = await fetch(`http://127.0.0.1:${monitor}/connz?limit=1000`);
        const cz = await res.json() as { connections?: { name?: string; pending_bytes: number }[] };
        for (const c of cz.connections ?? []) {
          if (c.name?.includes("projectors")) maxPending = Math.max(maxPending, c.pending_bytes);
        }
      } catch { /* a sample missed */ }
      if (rows >= n) return { maxPendingMiB: maxPending / 2 ** 20 };
      if (Date.now() > until) throw new Error(`only ${rows}/${n} results after ${timeoutMs} ms`);
      await sleep(200);
    }
  } finally {
    db.close();
  }
}
