/**
 * Exec fan-out latency: `POST /api/exec` to 10,000 explicit PCs (the call returns after
 * EXEC has acked the last subject's Command) and to `all` (p50/p95 over many calls).
 * Several runs; rows report medians of the runs.
 */
import { type BenchRow, type BenchSuite, median, percentile } from "./types.ts";
import { startTestBackend, type TestBackend } from "../tests/helpers/backend.ts";
import { dbTs } from "../wire/time.ts";
import { BUCKET } from "../wire/names.ts";
import { encodeAgentGroups } from "../wire/agent_groups.ts";

const JOB = {
  id: "bench-job",
  version: "1.0.0",
  execute: { shell: "powershell", script: "Write-Output bench", timeout: "60s" },
};

async function timedExec(be: TestBackend, plan: unknown): Promise<number> {
  const body = JSON.stringify(plan);
  const t0 = performance.now();
  const res = await be.request(`/api/exec/${JOB.id}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  await res.arrayBuffer();
  const dt = performance.now() - t0;
  if (res.status !== 200) throw new Error(`exec answered ${res.status}`);
  return dt;
}

async function seedAlive(be: TestBackend, n: number) {
  const now = dbTs(Date.now());
  const tx = await be.deps.db.transaction("write");
  try {
    for (let i = 0; i < n; i++) {
      await tx.execute({
        sql: "INSERT OR REPLACE INTO agents (pc_id, last_heartbeat, updated_at) VALUES (?, ?, ?)",
        args: [`PC${String(i).padStart(5, "0")}`, now, now],
      });
    }
    await tx.commit();
  } finally {
    tx.close();
  }
}

export const suite: BenchSuite = {
  name: "exec",
  async run(ctx) {
    const be = await startTestBackend({ waves: false });
    try {
      await be.json("POST", "/api/jobs", JOB);
      const pcs = Array.from({ length: 10_000 }, (_, i) => `PC${String(i).padStart(5, "0")}`);
      const runs = ctx.quick ? 3 : 7;

      await timedExec(be, { target: { pcs: pcs.slice(0, 100) } }); // warm-up
      const fanout: number[] = [];
      for (let r = 0; r < runs; r++) {
        const ms = await timedExec(be, { target: { pcs } });
        fanout.push(ms);
        ctx.log(`exec 10k pcs run ${r + 1}: ${ms.toFixed(0)} ms`);
      }

      const alive = ctx.quick ? 1000 : 10_000;
      await seedAlive(be, alive);
      const calls = ctx.quick ? 20 : 50;
      const allRuns = ctx.quick ? 3 : 5;
      const p50s: number[] = [];
      const p95s: number[] = [];
      for (let r = 0; r < allRuns; r++) {
        const lat: number[] = [];
        for (let i = 0; i < calls; i++) lat.push(await timedExec(be, { target: { all: true } }));
        p50s.push(percentile(lat, 50));
        p95s.push(percentile(lat, 95));
        ctx.log(
          `exec all run ${r + 1}: p50 ${p50s.at(-1)!.toFixed(1)} ms, p95 ${
            p95s.at(-1)!.toFixed(1)
          } ms`,
        );
      }

      // Group target: every alive agent has an `agent_groups` entry, half in the group.
      const kv = await be.deps.nats.kv(BUCKET.agentGroups);
      for (let i = 0; i < alive; i += 500) {
        await Promise.all(
          Array.from({ length: Math.min(500, alive - i) }, (_, k) =>
            kv.put(
              `PC${String(i + k).padStart(5, "0")}`,
              encodeAgentGroups([(i + k) % 2 ? "odd" : "even"]),
            )),
        );
      }
      const groupLat: number[] = [];
      for (let r = 0; r < (ctx.quick ? 5 : 15); r++) {
        groupLat.push(await timedExec(be, { target: { groups: ["even"] } }));
      }
      ctx.log(`exec group: median ${median(groupLat).toFixed(1)} ms`);

      const fanoutMedian = median(fanout);
      const rows: BenchRow[] = [
        {
          name: "exec to 10,000 explicit PCs (API call → every Command stored in EXEC)",
          median: Math.round(fanoutMedian) / 1000,
          unit: "s",
          samples: fanout.map((x) => Math.round(x) / 1000),
          target: "≤ 1.5 s",
          ok: fanoutMedian <= 1500,
          note:
            `${runs} runs; one request_id, 10,000 publishes acked by EXEC, executions row, audit`,
        },
        {
          name: "exec to all, API latency p50",
          median: Math.round(median(p50s) * 10) / 10,
          unit: "ms",
          samples: p50s.map((x) => Math.round(x * 10) / 10),
          note: `${allRuns} runs × ${calls} calls; ${alive} alive agents resolved for target_count`,
        },
        {
          name: "exec to all, API latency p95",
          median: Math.round(median(p95s) * 10) / 10,
          unit: "ms",
          samples: p95s.map((x) => Math.round(x * 10) / 10),
          note: `${allRuns} runs × ${calls} calls; ${alive} alive agents`,
        },
        {
          name: "exec to a group, API latency (target_count from the fleet view)",
          median: Math.round(median(groupLat) * 10) / 10,
          unit: "ms",
          samples: groupLat.map((x) => Math.round(x * 10) / 10),
          note: `${alive} alive agents with agent_groups entries, ${alive / 2} in the group`,
        },
      ];
      return rows;
    } finally {
      await be.stop();
    }
  },
};
