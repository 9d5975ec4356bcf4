/**
 * Fleet configuration (issue 9): compare-and-swap group edits under contention and the
 * fleet-wide reads that scan KV (`GET /api/groups`, rollout status) or the perf tables.
 *  - 20 concurrent group adds to one PC: wall time until all are stored;
 *  - GET /api/groups and GET /api/agents/rollout/status with N PCs in KV / agents;
 *  - GET /api/perf/fleet over 1 h of host samples from N PCs (one per minute each).
 * `--quick`: small sizes for a smoke run.
 */
import type { BenchContext, BenchRow, BenchSuite } from "./types.ts";
import { median, percentile } from "./types.ts";
import { startTestBackend, type TestBackend } from "../tests/helpers/backend.ts";
import { BUCKET } from "../wire/names.ts";
import { encodeAgentGroups } from "../wire/agent_groups.ts";
import { dbTs } from "../wire/time.ts";

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function ok(b: TestBackend, path: string, init?: RequestInit) {
  const res = await b.request(path, init);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${path} -> ${res.status}`);
}

async function seed(b: TestBackend, pcs: number) {
  const kv = await b.deps.nats.kv(BUCKET.agentGroups);
  const now = Date.now();
  const ids = Array.from({ length: pcs }, (_, i) => `PC${String(i).padStart(5, "0")}`);
  for (let i = 0; i < ids.length; i += 200) {
    await Promise.all(
      ids.slice(i, i + 200).map((pc, j) =>
        kv.put(pc, encodeAgentGroups([`dept-${(i + j) % 10}`, (i + j) % 2 ? "odd" : "even"]))
      ),
    );
  }
  await b.json("PUT", "/api/groups/odd/config", { target_version: "1.0.0" });
  const tx = await b.deps.db.transaction("write");
  for (const pc of ids) {
    await tx.execute({
      sql:
        "INSERT INTO agents (pc_id, hostname, agent_version, last_heartbeat, updated_at) VALUES (?, ?, ?, ?, ?)",
      args: [pc, pc, pc.endsWith("1") ? "1.0.0" : "0.9.0", dbTs(now), dbTs(now)],
    });
    for (let m = 0; m < 60; m++) {
      await tx.execute({
        sql:
          "INSERT INTO host_perf_samples (pc_id, at, cpu_pct, mem_used_bytes) VALUES (?, ?, ?, ?)",
        args: [pc, dbTs(now - m * 60_000), (m * 7) % 100, 1e9 + m],
      });
    }
  }
  await tx.commit();
}

export const suite: BenchSuite = {
  name: "fleet",
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const pcs = ctx.quick ? 200 : 2000;
    const runs = ctx.quick ? 3 : 7;
    const b = await startTestBackend({ logLevel: "error" });
    try {
      const cas: number[] = [];
      for (let r = 0; r < runs; r++) {
        const pc = `CAS${r}`;
        cas.push(
          await timed(() =>
            Promise.all(Array.from({ length: 20 }, (_, i) =>
              ok(b, `/api/agents/${pc}/groups`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ group: `g${i}` }),
              })))
          ),
        );
        const got = await b.json<{ groups: string[] }>("GET", `/api/agents/${pc}/groups`);
        if (got.groups.length !== 20) throw new Error(`lost update: ${got.groups.length}/20`);
      }
      ctx.log(`seeding ${pcs} PCs`);
      await seed(b, pcs);
      const measure = async (path: string) => {
        const xs: number[] = [];
        for (let r = 0; r < runs; r++) xs.push(await timed(() => ok(b, path)));
        return xs;
      };
      const groups = await measure("/api/groups");
      const status = await measure("/api/agents/rollout/status");
      const fleet = await measure("/api/perf/fleet?metric=cpu&step=1m");
      const row = (name: string, xs: number[], target: number, note: string): BenchRow => ({
        name,
        median: Math.round(median(xs) * 10) / 10,
        unit: "ms",
        samples: xs.map((x) => Math.round(x * 10) / 10),
        target: `≤ ${target} ms`,
        ok: median(xs) <= target,
        note: `${note}; p95 ${Math.round(percentile(xs, 95))} ms`,
      });
      return [
        row("20 concurrent group adds to one PC (all survive)", cas, 1000, "CAS retries included"),
        row(`GET /api/groups, ${pcs} PCs in KV`, groups, pcs > 1000 ? 3000 : 1000, "12 groups"),
        row(
          `GET /api/agents/rollout/status, ${pcs} agents`,
          status,
          pcs > 1000 ? 3000 : 1000,
          "one group targets",
        ),
        row(
          `GET /api/perf/fleet 1 h / 1 m buckets, ${pcs * 60} samples`,
          fleet,
          2000,
          `${pcs} PCs`,
        ),
      ];
    } finally {
      await b.stop();
    }
  },
};
