/**
 * End-to-end exec latency: `POST /api/exec/<job> {target:{all:true}}` until every one of N
 * simulated agents' results is visible (finished, exit 0) through `GET /api/results`.
 * Backend in this process (API + projectors, private broker, temp DB); the fleet in a child
 * process so the agents do not steal the measured process's event loop.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { median, percentile } from "./types.ts";
import { startTestBackend } from "../tests/helpers/backend.ts";
import { spawnFleet } from "../tests/helpers/fleet_process.ts";

async function api(
  b: Awaited<ReturnType<typeof startTestBackend>>,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
) {
  const res = await b.request(path, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export const suite: BenchSuite = {
  name: "e2e",
  async run(ctx) {
    const n = ctx.quick ? 100 : 1000;
    const runs = ctx.quick ? 3 : 5;
    const b = await startTestBackend({ projectors: true, waves: false });
    let fleet: Awaited<ReturnType<typeof spawnFleet>> | null = null;
    try {
      await api(b, "PUT", "/api/config", { heartbeat_interval: "5s" });
      await api(
        b,
        "POST",
        "/api/jobs",
        "id: bench-echo\nversion: 1.0.0\nexecute:\n  shell: powershell\n  script: echo ok\n  timeout: 60s\n",
        "application/yaml",
      );
      fleet = await spawnFleet(["--agents", String(n), "--nats", b.broker.url, "--prefix", "E2E-"]);
      // Wait until the backend has seen every agent (so they are all "alive").
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        const rows = await api(b, "GET", `/api/agents?limit=${n}`);
        if (Array.isArray(rows) && rows.length >= n) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const totals: number[] = [];
      const firsts: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const ex = await api(b, "POST", "/api/exec/bench-echo", { target: { all: true } });
        let first = 0;
        for (;;) {
          const rows = await api(
            b,
            "GET",
            `/api/results?exec_id=${ex.exec_id}&status=success&limit=${n}`,
          ) as unknown[];
          if (rows.length > 0 && !first) first = performance.now() - t0;
          if (rows.length >= n) break;
          if (performance.now() - t0 > 60_000) throw new Error(`only ${rows.length}/${n} results`);
          await new Promise((r) => setTimeout(r, 25));
        }
        const total = performance.now() - t0;
        totals.push(total / 1000);
        firsts.push(first);
        ctx.log(
          `run ${i + 1}: ${n} results visible in ${total.toFixed(0)} ms (first ${
            first.toFixed(0)
          } ms)`,
        );
      }
      const med = median(totals);
      const rows: BenchRow[] = [{
        name: `exec to all → ${n} results visible via GET /api/results`,
        median: med,
        unit: "s",
        samples: totals,
        target: "≤ 5 s (1,000 agents)",
        ok: ctx.quick ? undefined : med <= 5,
        note: `p95 ${percentile(totals, 95).toFixed(2)} s; first result median ${
          median(firsts).toFixed(0)
        } ms; fleet in a child process on the same 2 cores`,
      }];
      return rows;
    } finally {
      await fleet?.stop();
      await b.stop();
    }
  },
};
