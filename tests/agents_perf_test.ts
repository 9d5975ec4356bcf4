/**
 * Perf read models over real tables: bucket averages, the per-process timeline with its
 * "other" series, fleet avg/max, top-N, active investigations, and the 400 cases.
 * Samples are written straight into the projection tables (the projectors own that path).
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend } from "./helpers/backend.ts";
import { dbTs, wireTs } from "../wire/time.ts";

async function get(b: TestBackend, path: string) {
  const res = await b.request(path);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

/** A fixed hour in the past, aligned to 5 minutes. */
const T0 = Math.floor((Date.now() - 3 * 3600_000) / 3600_000) * 3600_000;
const at = (mins: number, secs = 0) => T0 + mins * 60_000 + secs * 1000;

async function hostSample(b: TestBackend, pc: string, ms: number, cpu: number, mem: number) {
  await b.deps.db.execute({
    sql: `INSERT INTO host_perf_samples (pc_id, at, cpu_pct, mem_used_bytes, mem_total_bytes,
      net_rx_bytes_per_sec) VALUES (?, ?, ?, ?, ?, ?)`,
    args: [pc, dbTs(ms), cpu, mem, 8_000_000_000, cpu * 10],
  });
}

async function procSample(
  b: TestBackend,
  pc: string,
  ms: number,
  procs: [number, string, number, number][],
) {
  for (const [pid, name, cpu, rss] of procs) {
    await b.deps.db.execute({
      sql:
        `INSERT INTO process_perf_samples (pc_id, at, pid, name, cpu_pct, rss_bytes) VALUES (?, ?, ?, ?, ?, ?)`,
      args: [pc, dbTs(ms), pid, name, cpu, rss],
    });
  }
}

Deno.test("perf endpoints", async (t) => {
  const b = await startTestBackend();
  try {
    await b.deps.db.execute({
      sql:
        "INSERT INTO agents (pc_id, hostname, agent_version, updated_at) VALUES ('P1', 'host-one', '1', ?)",
      args: [dbTs(Date.now())],
    });
    // P1: 0-5 min bucket cpu 10 and 20 → avg 15; 5-10 bucket cpu 40.
    await hostSample(b, "P1", at(1), 10, 1000);
    await hostSample(b, "P1", at(3, 30), 20, 3000);
    await hostSample(b, "P1", at(7), 40, 5000);
    await hostSample(b, "P2", at(2), 90, 7000);
    // Outside the window.
    await hostSample(b, "P1", at(61), 99, 9999);

    const win = `from=${encodeURIComponent(wireTs(T0))}&to=${encodeURIComponent(wireTs(at(60)))}`;

    await t.step("GET /api/agents/:pc/perf buckets with AVG", async () => {
      const r = await get(b, `/api/agents/P1/perf?${win}&step=5m`);
      assert.equal(r.status, 200);
      assert.equal(r.body.step_seconds, 300);
      assert.equal(r.body.from, wireTs(T0));
      assert.deepEqual(
        r.body.points.map((p: { at: string; cpu_pct: number }) => [p.at, p.cpu_pct]),
        [
          [wireTs(T0), 15],
          [wireTs(at(5)), 40],
        ],
      );
      const p0 = r.body.points[0];
      assert.equal(p0.mem_used_bytes, 2000);
      assert.equal(p0.swap_used_bytes, null);
      assert.deepEqual(Object.keys(p0), [
        "at",
        "cpu_pct",
        "mem_used_bytes",
        "mem_total_bytes",
        "swap_used_bytes",
        "swap_total_bytes",
        "disk_read_bytes_per_sec",
        "disk_written_bytes_per_sec",
        "net_rx_bytes_per_sec",
        "net_tx_bytes_per_sec",
      ]);
    });

    await t.step("window edges are half-open [from, to)", async () => {
      const r = await get(
        b,
        `/api/agents/P1/perf?from=${encodeURIComponent(wireTs(at(1)))}&to=${
          encodeURIComponent(wireTs(at(7)))
        }&step=1m`,
      );
      assert.deepEqual(r.body.points.map((p: { cpu_pct: number }) => p.cpu_pct), [10, 20]);
    });

    await t.step("fleet avg and max", async () => {
      const avg = await get(b, `/api/perf/fleet?metric=cpu&agg=mean&${win}&step=5m`);
      assert.equal(avg.status, 200);
      assert.equal(avg.body.metric, "cpu_pct");
      assert.equal(avg.body.agg, "avg");
      assert.deepEqual(avg.body.points, [{ at: wireTs(T0), value: 40 }, {
        at: wireTs(at(5)),
        value: 40,
      }]);
      const max = await get(b, `/api/perf/fleet?metric=mem&agg=max&${win}&step=1h`);
      assert.deepEqual(max.body.points, [{ at: wireTs(T0), value: 7000 }]);
      const net = await get(b, `/api/perf/fleet?metric=net_rx&${win}&step=1h`);
      assert.equal(net.body.metric, "net_rx_bytes_per_sec");
    });

    await t.step("400 cases", async () => {
      const bad = [
        `/api/agents/P1/perf?step=nope`,
        `/api/agents/P1/perf?step=0s`,
        `/api/agents/P1/perf?from=${encodeURIComponent(wireTs(at(10)))}&to=${
          encodeURIComponent(wireTs(at(5)))
        }`,
        `/api/agents/P1/perf?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&step=1s`,
        `/api/agents/P1/perf?from=notatime`,
        `/api/perf/fleet?metric=bogus`,
        `/api/perf/fleet?agg=sum`,
        `/api/perf/top?window=forever`,
        `/api/perf/top?limit=many`,
        `/api/agents/P1/processes/timeline?metric=net_rx`,
        `/api/agents/P1/processes/timeline?top=x`,
        `/api/agents/bad.pc/perf`,
      ];
      for (const path of bad) {
        const r = await get(b, path);
        assert.equal(r.status, 400, `${path} -> ${r.status}`);
        assert.equal(typeof r.body.error, "string");
      }
    });

    // Process samples: two ticks in the window plus one recent tick for "active".
    await procSample(b, "P1", at(1), [[1, "chrome", 50, 100], [2, "code", 20, 200], [
      3,
      "svchost",
      1,
      10,
    ], [
      4,
      "idle",
      0.5,
      5,
    ]]);
    await procSample(b, "P1", at(2), [[1, "chrome", 30, 300], [2, "code", 40, 400], [
      3,
      "svchost",
      3,
      30,
    ]]);

    await t.step("timeline: top names by AVG over the window, the rest as 'other'", async () => {
      const r = await get(b, `/api/agents/P1/processes/timeline?${win}&step=1m&top=2`);
      assert.equal(r.status, 200);
      assert.equal(r.body.metric, "cpu_pct");
      assert.deepEqual(r.body.names, ["chrome", "code", "other"]);
      assert.deepEqual(r.body.points, [
        { at: wireTs(at(1)), values: { chrome: 50, code: 20, other: 0.75 } },
        { at: wireTs(at(2)), values: { chrome: 30, code: 40, other: 3 } },
      ]);
      const rss = await get(
        b,
        `/api/agents/P1/processes/timeline?metric=rss&${win}&step=5m&top=20`,
      );
      assert.deepEqual(rss.body.names, ["code", "chrome", "svchost", "idle"]);
      assert.equal(rss.body.points.length, 1);
      assert.equal(rss.body.points[0].values.code, 300);
    });

    await t.step("processes: latest tick only, by CPU desc", async () => {
      const r = await get(b, "/api/agents/P1/processes");
      assert.equal(r.body.latest_at, wireTs(at(2)));
      assert.deepEqual(r.body.processes.map((p: { name: string }) => p.name), [
        "code",
        "chrome",
        "svchost",
      ]);
      assert.deepEqual(Object.keys(r.body.processes[0]), [
        "pid",
        "name",
        "cpu_pct",
        "rss_bytes",
        "disk_read_bytes_per_sec",
        "disk_written_bytes_per_sec",
      ]);
      // Perf reads need only a subject token; KV-bound routes are stricter.
      assert.equal((await get(b, "/api/agents/PC%401/processes")).status, 200);
      assert.equal((await get(b, "/api/agents/PC%401/groups")).status, 400);
      assert.deepEqual(await get(b, "/api/agents/NONE/processes"), {
        status: 200,
        body: { pc_id: "NONE", latest_at: null, processes: [] },
      });
    });

    await t.step("top and active investigations look at recent samples", async () => {
      const now = Date.now();
      await hostSample(b, "P1", now - 60_000, 30, 1);
      await hostSample(b, "P2", now - 30_000, 70, 1);
      await hostSample(b, "P3", now - 3600_000, 100, 1); // outside a 5m window
      const top = await get(b, "/api/perf/top?metric=cpu_pct&window=5m&limit=5");
      assert.deepEqual(top.body, {
        metric: "cpu_pct",
        window_seconds: 300,
        rows: [{ pc_id: "P2", hostname: null, value: 70 }, {
          pc_id: "P1",
          hostname: "host-one",
          value: 30,
        }],
      });
      const one = await get(b, "/api/perf/top?limit=1");
      assert.equal(one.body.rows.length, 1);
      // Out of range is refused with the uniform message, never clamped (issue 14).
      for (const limit of ["0", "51"]) {
        const bad = await get(b, `/api/perf/top?limit=${limit}`);
        assert.equal(bad.status, 400, limit);
        assert.equal(bad.body.error, "invalid query: limit: must be an integer 1..50");
      }

      let inv = await get(b, "/api/perf/active-investigations");
      assert.deepEqual(inv.body, { window_seconds: 300, rows: [] });
      await procSample(b, "P1", now - 10_000, [[9, "x", 1, 1]]);
      inv = await get(b, "/api/perf/active-investigations");
      assert.deepEqual(inv.body.rows, [{
        pc_id: "P1",
        hostname: "host-one",
        latest_at: wireTs(now - 10_000),
      }]);
    });
  } finally {
    await b.stop();
  }
});
