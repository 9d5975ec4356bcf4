/**
 * How every cost grows with the fleet (issue 18): each measurement at 1,000, 10,000 and
 * 100,000 agents (`--sizes 1000,10000,100000`; `--quick`: 1,000 only, one run), medians of
 * `--runs` (3) runs, with the growth factor between sizes and the load average next to
 * every figure. Live figures come from the real backend process and the simulator
 * (bench/scale_live.ts), table-size figures from a seeded database with 100 results per
 * agent (bench/scale_db.ts). Adds the scale table to the report as its own section.
 *
 *     deno task bench -- --only scale                       # 1k, 10k, 100k (about an hour)
 *     deno task bench -- --only scale --sizes 1000,10000    # without the 100k run
 *     deno task bench -- --only scale --parts db,projector  # seeded-database parts only
 */
import { argValue, type BenchRow, type BenchSuite, median } from "./types.ts";
import { type LiveRun, liveRuns, PAGES, READ_ROUTES } from "./scale_live.ts";
import { projectorVsPlain, seededRuns } from "./scale_db.ts";

interface Measure {
  name: string;
  unit: string;
  target: string;
  /** Whether a value meets the target. */
  ok: (v: number) => boolean;
  /** Per-run values at one size. */
  values: Map<number, number[]>;
  loads: Map<number, number[]>;
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

const kOf = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

export const suite: BenchSuite = {
  name: "scale",
  async run(ctx) {
    const sizes = (argValue(ctx.args, "--sizes") ?? (ctx.quick ? "1000" : "1000,10000,100000"))
      .split(",").map(Number).filter((n) => n > 0);
    const runs = Number(argValue(ctx.args, "--runs") ?? (ctx.quick ? 1 : 3));
    // live (backend + simulated fleet), db (seeded tick and results listing), projector.
    const parts = new Set((argValue(ctx.args, "--parts") ?? "live,db,projector").split(","));
    const measures: Measure[] = [];
    const measure = (name: string, unit: string, target: string, ok: (v: number) => boolean) => {
      const m: Measure = { name, unit, target, ok, values: new Map(), loads: new Map() };
      measures.push(m);
      return m;
    };
    const m = {
      hb: measure("heartbeat ingestion lag p99 (30 s beats)", "ms", "≤ 2000 ms", (v) => v <= 2000),
      rss: measure(
        "backend RSS, steady, all components (heartbeats only, before any exec)",
        "MiB",
        "≤ 400 MB",
        (v) => v * 2 ** 20 <= 400e6,
      ),
      rssLater: measure(
        "backend RSS, steady, 30 s after the previous run's two execs",
        "MiB",
        "",
        () => true,
      ),
      rssExec: measure(
        "backend RSS right after an exec to all is projected",
        "MiB",
        "",
        () => true,
      ),
      heapExec: measure(
        "  of which V8 heap in use at that moment",
        "MiB",
        "",
        () => true,
      ),
      execAll: measure("POST /api/exec to all: API answer", "ms", "≤ 500 ms", (v) => v <= 500),
      visible: measure("exec to all → all results visible", "s", "≤ 15 s", (v) => v <= 15),
      group: measure(
        "POST /api/exec to a group of half the fleet (steady fleet)",
        "ms",
        "≤ 50 ms",
        (v) => v <= 50,
      ),
      groupAfter: measure(
        "POST /api/exec to a group of half the fleet, right after an exec to all",
        "ms",
        "",
        () => true,
      ),
      groupResolve: measure(
        "  of which target_count resolution (Server-Timing resolve)",
        "ms",
        "",
        () => true,
      ),
      groupPublish: measure(
        "  of which publish to the group, until the broker confirms (Server-Timing publish)",
        "ms",
        "",
        () => true,
      ),
      cpuSteady: measure(
        "backend CPU with heartbeats only (before the run's execs)",
        "% of a core",
        "",
        () => true,
      ),
      cpuBackend: measure(
        "exec to all, CPU until all visible: backend (all components)",
        "core-s",
        "",
        () => true,
      ),
      cpuMain: measure("  of which the backend's main thread", "core-s", "", () => true),
      cpuWorkers: measure(
        "  of which its worker threads (results writer, WAL checkpoints)",
        "core-s",
        "",
        () => true,
      ),
      cpuV8: measure("  of which V8's helper threads (GC)", "core-s", "", () => true),
      cpuBroker: measure(
        "exec to all, CPU until all visible: nats-server",
        "core-s",
        "",
        () => true,
      ),
      cpuSim: measure("exec to all, CPU until all visible: simulator", "core-s", "", () => true),
      waitBackend: measure(
        "exec to all, until all visible: backend threads runnable but waiting for a CPU",
        "core-s",
        "",
        () => true,
      ),
      routes: Object.fromEntries(READ_ROUTES.map((r) => [
        r,
        measure(`GET ${r} p95`, "ms", "≤ 50 ms", (v) => v <= 50),
      ])),
      tick: measure(
        "scheduler once_per_pc tick decision (100 results per agent)",
        "ms",
        "≤ 500 ms",
        (v) => v <= 500,
      ),
      ratio: measure(
        "results projector drain / plain prepared insert (same rows, same schema, same run)",
        "×",
        "≥ 0.8",
        (v) => v >= 0.8,
      ),
      drain: measure("results projector backlog drain", "results/s", "", () => true),
      results: measure(
        "GET /api/results?limit=50 p95 (100 results per agent)",
        "ms",
        "≤ 10 ms",
        (v) => v <= 10,
      ),
      render: Object.fromEntries(
        Object.keys(PAGES).map((p) => [
          p,
          measure(`dashboard ${p} first render (Chromium)`, "ms", "≤ 1500 ms", (v) => v <= 1500),
        ]),
      ),
      beats: measure("heartbeats ingested", "beats/s", "", () => true),
      simCpu: measure("simulator CPU (all its processes)", "% of a core", "", () => true),
      simRss: measure("simulator RSS (all its processes)", "MiB", "", () => true),
    };
    const put = (x: Measure, n: number, v: number | null | undefined, load: number) => {
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      x.values.set(n, [...(x.values.get(n) ?? []), v]);
      x.loads.set(n, [...(x.loads.get(n) ?? []), load]);
    };

    async function measureSize(n: number) {
      const live: LiveRun[] = parts.has("live") ? await liveRuns(n, runs, ctx.log) : [];
      live.forEach((r, i) => {
        put(m.hb, n, r.hbP99, r.load);
        // Only the first run sees a backend that has run no exec yet: later runs' figures (after
        // bursts, once memory was given back, lib/memory_return.ts) are a row of their own.
        put(i === 0 ? m.rss : m.rssLater, n, r.rssMiB, r.load);
        put(m.rssExec, n, r.rssAfterExecMiB, r.load);
        put(m.heapExec, n, r.heapAfterExecMiB, r.load);
        put(m.execAll, n, r.execAllMs, r.load);
        put(m.visible, n, r.allVisibleS, r.load);
        put(m.group, n, r.groupExecMs, r.load);
        put(m.groupAfter, n, r.groupAfterBurstMs, r.load);
        put(m.groupResolve, n, r.groupSteps.resolve, r.load);
        put(m.groupPublish, n, r.groupSteps.publish, r.load);
        put(m.cpuSteady, n, r.steadyCpuPct, r.load);
        put(m.cpuBackend, n, r.burstCpu.backend, r.load);
        put(m.cpuMain, n, r.burstThreads?.main, r.load);
        put(m.cpuWorkers, n, r.burstThreads?.workers, r.load);
        put(m.cpuV8, n, r.burstThreads?.v8, r.load);
        put(m.cpuBroker, n, r.burstCpu.broker, r.load);
        put(m.cpuSim, n, r.burstCpu.simulator, r.load);
        put(m.waitBackend, n, r.burstWaitBackend, r.load);
        for (const path of READ_ROUTES) put(m.routes[path], n, r.p95[path], r.load);
        for (const path of Object.keys(PAGES)) put(m.render[path], n, r.render[path], r.load);
        put(m.beats, n, r.beatsPerSec, r.load);
        put(m.simCpu, n, r.simCpuPct, r.load);
        put(m.simRss, n, r.simRssMiB, r.load);
      });
      if (parts.has("db")) {
        const db = await seededRuns(n, runs, ctx.log);
        db.tick.forEach((v, i) => put(m.tick, n, v, db.loads[i]));
        db.results.forEach((v, i) => put(m.results, n, v, db.loads[i]));
      }
      if (!parts.has("projector")) return;
      const pj = await projectorVsPlain(n, runs, ctx.log);
      pj.drain.forEach((v, i) => {
        put(m.ratio, n, v / pj.plain[i], pj.loads[i]);
        put(m.drain, n, v, pj.loads[i]);
      });
    }

    const failures: string[] = [];
    for (const n of sizes) {
      ctx.log(`== ${n} agents`);
      // A size that fails (the box too loaded to start its fleet, say) is reported in the
      // table's notes; the sizes measured before and after it keep their figures.
      try {
        await measureSize(n);
      } catch (e) {
        ctx.log(`${n} agents failed: ${(e as Error).message}`);
        failures.push(`${kOf(n)}: ${(e as Error).message.split("\n")[0]}`);
      }
    }

    const rows: BenchRow[] = [];
    const largest = sizes[sizes.length - 1];
    for (const x of measures) {
      for (const n of sizes) {
        const vs = x.values.get(n);
        if (!vs?.length) continue;
        const med = median(vs);
        const loads = x.loads.get(n) ?? [];
        rows.push({
          name: `${x.name} @ ${kOf(n)} agents`,
          median: Number(fmt(med)),
          unit: x.unit,
          samples: vs.map((v) => Number(fmt(v))),
          ...(x.target && n === largest ? { target: x.target, ok: x.ok(med) } : {}),
          note: `load ${loads.map((l) => l.toFixed(1)).join("/")}`,
        });
      }
    }

    // The scale table: one row per measurement, one column per size, growth between sizes.
    const head = sizes.map(kOf);
    const lines = [
      "## Scale: how each cost grows with the fleet",
      "",
      `Command: \`deno task bench -- --only scale${
        ctx.args.includes("--sizes") ? ` --sizes ${sizes.join(",")}` : ""
      }${ctx.args.includes("--parts") ? ` --parts ${[...parts].join(",")}` : ""}${
        ctx.quick ? " --quick" : ""
      }\` (medians of ${runs} run${runs === 1 ? "" : "s"}; the load average (1 min) of each ` +
      "run follows every figure, on this shared 2-core box). Agents beat every 30 s with " +
      "realistic bodies (simulator, `--no-perf`), half in group `a`; the results tables hold " +
      "100 rows per agent.",
      "",
      `| measurement | ${head.join(" | ")} | growth ${
        head.slice(1).map((h, i) => `${head[i]}→${h}`).join(", ")
      } | target @ ${kOf(largest)} | met |`,
      `|---|${sizes.map(() => "---:").join("|")}|---|---|---|`,
    ];
    for (const x of measures) {
      if (![...x.values.values()].some((v) => v.length)) continue;
      const meds = sizes.map((n) => x.values.get(n)?.length ? median(x.values.get(n)!) : null);
      const cells = sizes.map((n, i) => {
        const v = meds[i];
        if (v === null) return "—";
        const loads = x.loads.get(n) ?? [];
        return `${fmt(v)} ${x.unit} (load ${median(loads).toFixed(1)})`;
      });
      const growth = meds.slice(1).map((v, i) => {
        const prev = meds[i];
        return v === null || prev === null || prev === 0 ? "—" : `${(v / prev).toFixed(1)}×`;
      });
      const last = meds[meds.length - 1];
      lines.push(
        `| ${x.name} | ${cells.join(" | ")} | ${growth.join(", ")} | ${x.target || "—"} | ${
          !x.target || last === null ? "" : x.ok(last) ? "yes" : "no"
        } |`,
      );
    }
    for (const f of failures) lines.push("", `Not measured at ${f}`);
    ctx.section(lines.join("\n"));
    for (const f of failures) {
      rows.push({ name: `(failed) ${f}`, median: 0, unit: "", samples: [], ok: false });
    }
    return rows;
  },
};
