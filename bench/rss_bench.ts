/**
 * Backend memory with a big fleet: the real entrypoint (`deno run -A main.ts`, all
 * components, auth disabled) in a child process, N simulated agents (another child) beating
 * every 5 s. VmRSS of the backend is sampled once a second for 10 s in the steady state (the
 * target row), then again right after one exec to `all` has projected N results.
 */
import type { BenchSuite } from "./types.ts";
import { median } from "./types.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { spawnFleet } from "../tests/helpers/fleet_process.ts";
import { apiCall, rssBytes, spawnBackend } from "../tests/e2e/backend_process.ts";

export const suite: BenchSuite = {
  name: "rss",
  async run(ctx) {
    const n = ctx.quick ? 1000 : 10_000;
    const broker = await startNatsServer();
    let backend: Awaited<ReturnType<typeof spawnBackend>> | null = null;
    let fleet: Awaited<ReturnType<typeof spawnFleet>> | null = null;
    try {
      backend = await spawnBackend(broker.url);
      const url = backend.url;
      const idle = rssBytes(backend.pid);
      await apiCall(url, "PUT", "/api/config", { heartbeat_interval: "5s" });
      await apiCall(
        url,
        "POST",
        "/api/jobs",
        "id: rss-echo\nversion: 1.0.0\nexecute:\n  shell: powershell\n  script: echo ok\n  timeout: 60s\n",
        "application/yaml",
      );
      fleet = await spawnFleet(["--agents", String(n), "--nats", broker.url, "--prefix", "RSS-"]);
      const until = Date.now() + 90_000;
      let seen = 0;
      while (seen < n) {
        if (Date.now() > until) throw new Error(`backend lists only ${seen}/${n} agents`);
        await new Promise((r) => setTimeout(r, 500));
        const r = await apiCall(url, "GET", `/api/agents?limit=1`);
        seen = Number(r.headers.get("x-total-count") ?? r.json<unknown[]>().length);
      }
      const sample = async (pid: number) => {
        const xs: number[] = [];
        for (let i = 0; i < 10; i++) {
          await new Promise((r) => setTimeout(r, 1000));
          xs.push(rssBytes(pid) / 2 ** 20);
        }
        return xs;
      };
      // Steady state: every agent connected and beating (two intervals to settle first).
      await new Promise((r) => setTimeout(r, 10_000));
      const connected = await sample(backend.pid);
      const ex = await apiCall(url, "POST", "/api/exec/rss-echo", { target: { all: true } });
      const execId = ex.json<{ exec_id: string }>().exec_id;
      const doneBy = Date.now() + 90_000;
      for (;;) {
        const r = await apiCall(url, "GET", `/api/executions/${execId}`);
        const e = r.json<{ execution: { success_count: number } }>().execution;
        if (e.success_count >= n) break;
        if (Date.now() > doneBy) throw new Error(`only ${e.success_count}/${n} results projected`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const afterExec = await sample(backend.pid);
      // Once the burst is over the backend gives memory back (lib/memory_return.ts).
      await new Promise((r) => setTimeout(r, 20_000));
      const settled = await sample(backend.pid);
      const med = median(connected);
      ctx.log(
        `rss idle ${(idle / 2 ** 20).toFixed(0)} MiB, ${n} agents ${med.toFixed(0)} MiB, ` +
          `after exec ${median(afterExec).toFixed(0)} MiB, 30 s later ${
            median(settled).toFixed(0)
          } MiB`,
      );
      return [{
        name: `backend RSS, ${n} agents connected and beating every 5 s`,
        median: med,
        unit: "MiB",
        samples: connected,
        target: "≤ 250 MB (238 MiB)",
        ok: med * 2 ** 20 <= 250e6,
        note: `idle ${(idle / 2 ** 20).toFixed(0)} MiB; max ${
          Math.max(...connected).toFixed(0)
        } MiB; 10 samples at 1 s; main.ts, all components`,
      }, {
        name: `backend RSS right after an exec to all (${n} results projected)`,
        median: median(afterExec),
        unit: "MiB",
        samples: afterExec,
        note: `max ${
          Math.max(...afterExec).toFixed(0)
        } MiB; the burst's garbage, not yet collected`,
      }, {
        name: `backend RSS 30–40 s after that exec (memory given back)`,
        median: median(settled),
        unit: "MiB",
        samples: settled,
        note: `max ${Math.max(...settled).toFixed(0)} MiB; KANADE_MEMORY_RETURN on (the default)`,
      }];
    } finally {
      await fleet?.stop();
      await backend?.stop();
      await broker.stop();
    }
  },
};
