/**
 * The live part of the scale benchmark: the real backend (`main.ts`, every component, one
 * child process), a private broker, and N simulated agents (`deno task fleet`, one or more
 * child processes) beating every 30 s with realistic output, half in group `a`, half in
 * `b`. Per run: heartbeat lag, backend RSS, p95 of the read routes, exec to all (API answer
 * and time until every result is visible), exec to group `a`, and the dashboard's first
 * render in Chromium; with the load average and the simulator's own CPU and RSS.
 */
import { spawnFleet } from "../tests/helpers/fleet_process.ts";
import {
  apiCall,
  rssBytes,
  startLiveBackend,
  waitAgentsOnline,
} from "../tests/e2e/backend_process.ts";
import { chromiumAvailable, launchBrowser } from "../tests/browser/browser.ts";
import { openDb } from "../db/client.ts";
import { rowsOf } from "../db/client.ts";
import { dbTs, epochMs } from "../wire/time.ts";
import { loadAvg, median, percentile } from "./types.ts";
import {
  procWaitSecs,
  sampleProc,
  threadCpuSecs,
  type ThreadRole,
} from "../simulator/self_report.ts";

export const READ_ROUTES = [
  "/api/agents?limit=50",
  "/api/health/fleet",
  "/api/groups",
  "/api/agents/rollout/status",
] as const;

/** Dashboard pages and what "rendered" means on each: its list drawn, nothing loading. */
export const PAGES: Record<string, string> = {
  "/agents": "#agents-list table tbody tr",
  "/groups": "#groups-list table tbody tr",
  "/dashboard": "#online-count",
};

export interface LiveRun {
  hbP99: number;
  hbP50: number;
  beatsPerSec: number;
  /** Median over 10 s before this run's execs (run 1: heartbeats only so far). */
  rssMiB: number;
  /** Right after every result of the exec to all is projected. */
  rssAfterExecMiB: number;
  /** The V8 heap in use at the same moment (what of that RSS is live). */
  heapAfterExecMiB: number | null;
  execAllMs: number;
  allVisibleS: number;
  /** Exec to group a on the steady fleet (before this run's exec to all). */
  groupExecMs: number;
  /** The same right after the exec to all is projected. */
  groupAfterBurstMs: number;
  /** The group exec's steps (its `Server-Timing`): `resolve` is target_count. */
  groupSteps: Record<string, number>;
  /** CPU time (core-seconds) each party spent from the exec to all until all visible. */
  burstCpu: { backend: number; broker: number; simulator: number };
  /**
   * Core-seconds the backend's threads spent runnable but waiting for a CPU over the same
   * span (null without schedstat): above its CPU time, the box was oversubscribed.
   */
  burstWaitBackend: number | null;
  /**
   * The backend's part of `burstCpu` by thread (null without /proc): the main thread, the
   * web workers (results writer, WAL checkpoints), V8's helpers (GC), the rest.
   */
  burstThreads: Record<ThreadRole, number> | null;
  /** The backend's CPU with heartbeats only (before this run's execs), % of a core. */
  steadyCpuPct: number;
  p95: Record<string, number>;
  render: Record<string, number>;
  simCpuPct: number | null;
  simRssMiB: number | null;
  load: number;
}

const JOB_YAML =
  "id: scale-echo\nversion: 1.0.0\nexecute:\n  shell: powershell\n  script: Get-Service | Format-Table\n  timeout: 120s\n";

async function timed(url: string, method: string, path: string, body?: string) {
  const t0 = performance.now();
  const r = await apiCall(url, method, path, body);
  return { ms: performance.now() - t0, ...r };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The backend's V8 heap in use (its `kanade_heap_used_bytes` metric), MiB. */
async function heapUsedMiB(url: string): Promise<number | null> {
  try {
    const text = (await apiCall(url, "GET", "/metrics")).text;
    const m = /^kanade_heap_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
    return m ? Number(m[1]) / 2 ** 20 : null;
  } catch {
    return null;
  }
}

/** Pure: `name;dur=1.2, …` → `{name: 1.2}`. */
export function parseServerTiming(h: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (h ?? "").split(",")) {
    const [name, ...params] = part.trim().split(";");
    const dur = params.find((p) => p.trim().startsWith("dur="));
    if (name && dur) out[name] = Number(dur.trim().slice(4));
  }
  return out;
}

/** `pid` and every process below it (the simulator's children), as far as /proc says. */
function processTree(pid: number): number[] {
  let kids: string[] = [];
  try {
    kids = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/);
  } catch { /* gone, or not Linux */ }
  return [pid, ...kids.filter(Boolean).flatMap((k) => processTree(Number(k)))];
}

/** CPU seconds (user + system) of `pid` and every process below it. */
function treeCpuSecs(pid: number | null): number {
  if (pid === null) return 0;
  return processTree(pid).reduce((sum, p) => sum + (sampleProc(p)?.cpuSecs ?? 0), 0);
}

/** Run-queue wait (see procWaitSecs) of `pid` and every process below it; null without it. */
function treeWaitSecs(pid: number): number | null {
  let total = 0;
  for (const p of processTree(pid)) {
    const w = procWaitSecs(p);
    if (w === null && p === pid) return null;
    total += w ?? 0; // null for a child: it ended meanwhile
  }
  return total;
}

/**
 * Wait until the execution's counters (bumped in the rows' own transaction, so a row counted
 * is a row `GET /api/results` lists) reach its target. Read from the backend's DB file, like
 * the heartbeat lag: polling `GET /api/executions/{id}` would fetch every result row of a
 * 100,000-PC exec ten times a second and load the backend being measured.
 */
async function waitProjected(
  dbPath: string,
  execId: string,
  timeoutMs: number,
  progress?: (done: number, target: number) => void,
): Promise<number> {
  const db = await openDb({ url: `file:${dbPath}` });
  try {
    const until = Date.now() + timeoutMs;
    let nextReport = Date.now() + 5000;
    for (;;) {
      const e = rowsOf<{ done: number; target: number }>(
        await db.execute({
          sql: `SELECT success_count + failure_count AS done, target_count AS target
                FROM executions WHERE exec_id = ?`,
          args: [execId],
        }),
      )[0];
      if (e && Number(e.done) >= Number(e.target)) return Number(e.target);
      if (progress && Date.now() >= nextReport) {
        progress(Number(e?.done ?? 0), Number(e?.target ?? 0));
        nextReport += 5000;
      }
      if (Date.now() > until) {
        throw new Error(
          `exec ${execId}: ${e?.done ?? 0}/${e?.target ?? "?"} results after ${timeoutMs} ms`,
        );
      }
      await sleep(100);
    }
  } finally {
    db.close();
  }
}

/**
 * Heartbeat lag over one window: when a row shows the beat − the beat's own `at`, read by
 * polling the backend's DB file every 200 ms (the figures include that resolution).
 */
async function heartbeatLag(dbPath: string, windowMs: number) {
  const db = await openDb({ url: `file:${dbPath}` });
  try {
    const lags: number[] = [];
    let since = dbTs(Date.now());
    const end = Date.now() + windowMs;
    while (Date.now() < end) {
      await sleep(200);
      const polledAt = Date.now();
      const rs = await db.execute({
        sql: `SELECT json_group_array(json_array(last_heartbeat, updated_at)) AS j
              FROM agents WHERE updated_at > ?`,
        args: [since],
      });
      const rows = JSON.parse(rowsOf<{ j: string }>(rs)[0]?.j ?? "[]") as [string, string][];
      for (const [hb, up] of rows) {
        if (up > since) since = up;
        lags.push(Math.max(0, polledAt - epochMs(hb)));
      }
    }
    return {
      p99: percentile(lags, 99),
      p50: percentile(lags, 50),
      perSec: lags.length / (windowMs / 1000),
    };
  } finally {
    db.close();
  }
}

async function routeP95(url: string, path: string, n: number): Promise<number> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) lat.push((await timed(url, "GET", path)).ms);
  return percentile(lat, 95);
}

async function firstRenders(
  url: string,
  loads: number,
  log: (m: string) => void,
): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  if (!chromiumAvailable()) return out;
  const browser = await launchBrowser();
  try {
    // Auth is disabled on the bench backend; the SPA still wants a token to send.
    await browser.context.addInitScript(() => localStorage.setItem("kanade_token", "bench"));
    const page = await browser.context.newPage();
    // Which API calls a slow render waited for: each /api request's own time, logged.
    const calls: { path: string; ms: number }[] = [];
    page.on("requestfinished", (req) => {
      const u = new URL(req.url());
      if (!u.pathname.startsWith("/api/")) return;
      const t = req.timing();
      calls.push({ path: u.pathname + u.search, ms: Math.round(t.responseEnd - t.requestStart) });
    });
    // One load of the shell first: the browser's own start-up and first compile of the
    // dashboard's modules are not a page's render (each timed load still revalidates them).
    await page.goto(url + "/", { waitUntil: "load" });
    await page.waitForSelector("main h1", { timeout: 60_000 });
    calls.length = 0;
    for (const [path, selector] of Object.entries(PAGES)) {
      out[path] = [];
      for (let i = 0; i < loads; i++) {
        await page.goto("about:blank");
        const t0 = performance.now();
        await page.goto(url + path, { waitUntil: "commit" });
        await page.waitForFunction(
          (sel) => !!document.querySelector(sel) && !document.querySelector("main .loading"),
          selector,
          { timeout: 60_000, polling: 20 },
        );
        out[path].push(performance.now() - t0);
        const slow = calls.splice(0).sort((a, b) => b.ms - a.ms).slice(0, 3);
        log(`   ${path}: slowest API calls ${slow.map((c) => `${c.path} ${c.ms} ms`).join(", ")}`);
      }
    }
  } finally {
    await browser.close();
  }
  return out;
}

export async function liveRuns(
  n: number,
  runs: number,
  log: (m: string) => void,
): Promise<LiveRun[]> {
  // The backend's warnings (a busy database, a stalled consumer) belong in the bench log.
  const backend = await startLiveBackend(JOB_YAML, {
    log: (line) => log(`   backend: ${line.slice(0, 400)}`),
  });
  let fleet: Awaited<ReturnType<typeof spawnFleet>> | null = null;
  try {
    const url = backend.url;
    const t0 = Date.now();
    fleet = await spawnFleet(
      [
        "--agents",
        String(n),
        "--nats",
        backend.brokerUrl,
        "--groups",
        "a,b",
        "--prefix",
        "S-",
        "--no-perf",
        "--report-secs",
        "5",
      ],
      { readyTimeoutMs: 900_000 },
    );
    log(`${n} agents started in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await waitAgentsOnline(url, n, { timeoutMs: 900_000, pollMs: 1000 });
    log(`${n} agents online after ${((Date.now() - t0) / 1000).toFixed(0)} s; settling 35 s`);
    // One beat interval past the boot burst: the steady 30 s rhythm.
    await sleep(35_000);
    const out: LiveRun[] = [];
    for (let r = 0; r < runs; r++) {
      const load = loadAvg();
      const hb = await heartbeatLag(backend.dbPath, 30_000);
      const rss: number[] = [];
      const idle0 = treeCpuSecs(backend.pid);
      for (let i = 0; i < 10; i++) {
        rss.push(rssBytes(backend.pid) / 2 ** 20);
        await sleep(1000);
      }
      // The backend's steady cost (heartbeats only) per second, to read the burst's apart.
      const steadyCpuPct = (treeCpuSecs(backend.pid) - idle0) / 10 * 100;
      log(`   backend CPU, heartbeats only: ${steadyCpuPct.toFixed(0)} % of a core`);
      const p95: Record<string, number> = {};
      for (const path of READ_ROUTES) p95[path] = await routeP95(url, path, 100);
      // Exec to group a (half the fleet) on the steady fleet: the API answer resolves
      // target_count. Then its 50k results are projected and the fleet settles again.
      const steadyGrp = await timed(
        url,
        "POST",
        "/api/exec/scale-echo",
        '{"target":{"groups":["a"]}}',
      );
      log(`   exec to group a, steady: Server-Timing ${steadyGrp.headers.get("server-timing")}`);
      await waitProjected(
        backend.dbPath,
        (JSON.parse(steadyGrp.text) as { exec_id: string }).exec_id,
        600_000,
      );
      await sleep(30_000);
      // Exec to all: the API answer, then until every result is projected and visible.
      const cpuOf = () => ({
        backend: treeCpuSecs(backend.pid),
        broker: treeCpuSecs(backend.brokerPid),
        simulator: treeCpuSecs(fleet?.pid ?? null),
      });
      const cpu0 = cpuOf();
      const wait0 = treeWaitSecs(backend.pid);
      const threads0 = threadCpuSecs(backend.pid);
      const tAll = performance.now();
      const all = await timed(url, "POST", "/api/exec/scale-echo", '{"target":{"all":true}}');
      const allId = (JSON.parse(all.text) as { exec_id: string }).exec_id;
      // Every 5 s: how far the projection is and what the simulator has done, to tell a
      // slow projector from a slow fleet (commands received, results acked, retries).
      const t0All = Date.now();
      const progress = (done: number, target: number) => {
        const st = fleet?.lastStats() ?? {};
        log(
          `   +${((Date.now() - t0All) / 1000).toFixed(0)} s: ${done}/${target} projected; fleet ${
            JSON.stringify({
              commands: st.commands,
              results: st.results,
              publishRetries: st.publishRetries,
              queued: st.publish_queued,
              cpu: st.cpu_pct,
            })
          }`,
        );
      };
      const got = await waitProjected(backend.dbPath, allId, 600_000, progress);
      const allVisibleS = (performance.now() - tAll) / 1000;
      const cpu1 = cpuOf();
      const burstCpu = {
        backend: cpu1.backend - cpu0.backend,
        broker: cpu1.broker - cpu0.broker,
        simulator: cpu1.simulator - cpu0.simulator,
      };
      const wait1 = treeWaitSecs(backend.pid);
      const threads1 = threadCpuSecs(backend.pid);
      const burstThreads = threads0 && threads1
        ? {
          main: threads1.main - threads0.main,
          workers: threads1.workers - threads0.workers,
          v8: threads1.v8 - threads0.v8,
          other: threads1.other - threads0.other,
        }
        : null;
      if (burstThreads) {
        log(
          `   exec to all: the backend's CPU by thread (core-seconds) ${
            JSON.stringify(burstThreads)
          }`,
        );
      }
      const burstWaitBackend = wait0 === null || wait1 === null ? null : wait1 - wait0;
      log(`   exec to all: CPU until all visible (core-seconds) ${JSON.stringify(burstCpu)}`);
      if (burstWaitBackend !== null) {
        log(
          `   exec to all: the backend's threads waited ${
            burstWaitBackend.toFixed(1)
          } core-seconds for a CPU (runnable, not running)`,
        );
      }
      const rssAfterExecMiB = rssBytes(backend.pid) / 2 ** 20;
      // RSS keeps what V8 grew during the burst; the heap in use says how much is live.
      const heapAfterExecMiB = await heapUsedMiB(url);
      log(
        `   after the burst: rss ${rssAfterExecMiB.toFixed(0)} MiB, V8 heap in use ${
          heapAfterExecMiB?.toFixed(0)
        } MiB`,
      );
      const page = await apiCall(url, "GET", "/api/results?limit=50");
      if ((JSON.parse(page.text) as unknown[]).length === 0) throw new Error("no results listed");
      // The same exec right after the burst: the broker and the backend still digest it.
      const grp = await timed(url, "POST", "/api/exec/scale-echo", '{"target":{"groups":["a"]}}');
      const grpId = (JSON.parse(grp.text) as { exec_id: string }).exec_id;
      await waitProjected(backend.dbPath, grpId, 600_000);
      log(`   exec to all: Server-Timing ${all.headers.get("server-timing")}`);
      log(`   exec to group a, after the burst: Server-Timing ${grp.headers.get("server-timing")}`);
      // The pages are timed on a steady fleet, as the target means: once the results are
      // visible the start events, the simulator's queue and the broker still take a while.
      await sleep(30_000);
      const renders = await firstRenders(url, 3, log);
      const stats = fleet.lastStats();
      const run: LiveRun = {
        hbP99: hb.p99,
        hbP50: hb.p50,
        beatsPerSec: hb.perSec,
        rssMiB: median(rss),
        rssAfterExecMiB,
        heapAfterExecMiB,
        execAllMs: all.ms,
        allVisibleS,
        groupExecMs: steadyGrp.ms,
        groupSteps: parseServerTiming(steadyGrp.headers.get("server-timing")),
        groupAfterBurstMs: grp.ms,
        burstCpu,
        burstWaitBackend,
        burstThreads,
        steadyCpuPct,
        p95,
        render: Object.fromEntries(Object.entries(renders).map(([k, v]) => [k, median(v)])),
        simCpuPct: stats?.cpu_pct ?? null,
        simRssMiB: stats?.rss_mib ?? null,
        load,
      };
      log(
        `n=${n} run ${r + 1}: hb p99 ${run.hbP99} ms (${run.beatsPerSec.toFixed(0)}/s), rss ${
          run.rssMiB.toFixed(0)
        } MiB, exec all ${run.execAllMs.toFixed(0)} ms → ${got} visible in ${
          run.allVisibleS.toFixed(1)
        } s, group ${run.groupExecMs.toFixed(1)} ms, p95 ${JSON.stringify(p95)}, render ${
          JSON.stringify(run.render)
        }, sim cpu ${run.simCpuPct}% rss ${run.simRssMiB} MiB, load ${load}`,
      );
      out.push(run);
    }
    return out;
  } finally {
    await fleet?.stop();
    await backend.stop();
  }
}
