/**
 * Heartbeat ingestion: N simulated agents (child process) beating every 5 s into the
 * backend's heartbeat projector (this process). Lag = when the row shows the beat − the
 * beat's own `at`; sampled by polling `agents` on `updated_at` every 100 ms (so the figures
 * include up to 100 ms of polling resolution). Reported per measurement window: p99 and p50.
 */
import type { BenchSuite } from "./types.ts";
import { median, percentile } from "./types.ts";
import { startTestBackend } from "../tests/helpers/backend.ts";
import { spawnFleet } from "../tests/helpers/fleet_process.ts";
import { rowsOf } from "../db/client.ts";
import { dbTs, epochMs } from "../wire/time.ts";

export const suite: BenchSuite = {
  name: "heartbeat",
  async run(ctx) {
    const n = ctx.quick ? 1000 : 10_000;
    const windows = ctx.quick ? 2 : 3;
    const windowMs = ctx.quick ? 5_000 : 10_000; // whole intervals
    const b = await startTestBackend({ projectors: ["heartbeat"], waves: false });
    let fleet: Awaited<ReturnType<typeof spawnFleet>> | null = null;
    try {
      const res = await b.request("/api/config", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ heartbeat_interval: "5s" }),
      });
      if (!res.ok) throw new Error(`PUT /api/config -> ${res.status}: ${await res.text()}`);
      await res.body?.cancel();
      fleet = await spawnFleet(["--agents", String(n), "--nats", b.broker.url, "--prefix", "HB-"]);
      const db = b.deps.db;
      const count = async () =>
        Number(rowsOf<{ c: number }>(await db.execute("SELECT count(*) AS c FROM agents"))[0].c);
      const until = Date.now() + 60_000;
      while ((await count()) < n) {
        if (Date.now() > until) throw new Error(`only ${await count()}/${n} agents ingested`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const p99s: number[] = [];
      const p50s: number[] = [];
      let total = 0;
      for (let w = 0; w < windows; w++) {
        const lags: number[] = [];
        let since = dbTs(Date.now());
        const end = Date.now() + windowMs;
        while (Date.now() < end) {
          await new Promise((r) => setTimeout(r, 100));
          const polledAt = Date.now();
          const rows = rowsOf<{ last_heartbeat: string; updated_at: string }>(
            await db.execute({
              sql: "SELECT last_heartbeat, updated_at FROM agents WHERE updated_at > ?",
              args: [since],
            }),
          );
          for (const r of rows) {
            if (r.updated_at > since) since = r.updated_at;
            lags.push(Math.max(0, polledAt - epochMs(r.last_heartbeat)));
          }
        }
        total += lags.length;
        const p99 = percentile(lags, 99);
        p99s.push(p99);
        p50s.push(percentile(lags, 50));
        ctx.log(
          `window ${w + 1}: ${lags.length} beats, p50 ${percentile(lags, 50)} ms, p99 ${p99} ms`,
        );
      }
      const rate = total / (windows * windowMs / 1000);
      return [{
        name: `heartbeat ingestion lag p99, ${n} agents @ 5 s`,
        median: median(p99s),
        unit: "ms",
        samples: p99s,
        target: "≤ 2000 ms (1 s micro-batch + write)",
        ok: median(p99s) <= 2000,
        note: `p50 ${median(p50s).toFixed(0)} ms; ${
          rate.toFixed(0)
        } beats/s ingested; 100 ms polling`,
      }];
    } finally {
      await fleet?.stop();
      await b.stop();
    }
  },
};
