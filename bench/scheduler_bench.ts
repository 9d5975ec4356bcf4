/**
 * A once_per_pc tick's decision time (scheduler/tick.ts `decideDedup`: expected PCs from
 * the alive window, completions per PC, `decideFire`, in-flight narrowing) with 10,000
 * alive agents and 1,000,000 execution_results rows (quick: 1,000 / 100,000). Half the
 * rows belong to the scheduled job (10% failures), half to other jobs; half the PCs last
 * succeeded more than the 1 h cooldown ago, so the tick fires at about 5,000 PCs. A second
 * row adds 2,000 live dispatch marks (their last finish is looked up per tick).
 */
import { type BenchRow, type BenchSuite, median } from "./types.ts";
import { startTestBackend } from "../tests/helpers/backend.ts";
import { dbTs } from "../wire/time.ts";
import { BUCKET } from "../wire/names.ts";
import { decideDedup, type TickContext } from "../scheduler/tick.ts";
import type { Mark } from "../scheduler/policy.ts";

const JOB = "bench-sched-job";

export const suite: BenchSuite = {
  name: "scheduler",
  async run(ctx) {
    const agents = ctx.quick ? 1_000 : 10_000;
    const rows = ctx.quick ? 100_000 : 1_000_000;
    const runs = ctx.quick ? 3 : 7;
    const be = await startTestBackend({ waves: false });
    try {
      const db = be.deps.db;
      const now = Date.now();
      const t0 = performance.now();
      // Generated inside SQLite: a million inserts through the client would dominate the run.
      await db.execute({
        sql: `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
              INSERT INTO agents (pc_id, last_heartbeat, updated_at)
              SELECT printf('PC%05d', i), ?2, ?2 FROM n`,
        args: [agents, dbTs(now - 30_000)],
      });
      // Row i: PC i % agents; job = bench job for even i; finished (i / agents) minutes ago
      // for PCs below agents/2 (recent), hours ago for the rest (cooldown expired).
      await db.execute({
        sql: `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
              INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, exit_code,
                started_at, finished_at, recorded_at, job_id, version)
              SELECT printf('r%08d', i), printf('q%08d', i), NULL, printf('PC%05d', i % ?2),
                CASE WHEN i % 10 = 1 THEN 1 ELSE 0 END,
                t, t, t,
                CASE WHEN (i / ?2) % 2 = 0 THEN ?3 ELSE printf('other-%d', i % 7) END, '1.0.0'
              FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%S', (?4 / 1000) -
                      CASE WHEN (i % ?2) < ?2 / 2 THEN (i / ?2) * 60 % 3000 + 1
                           ELSE 7200 + (i / ?2) * 60 END, 'unixepoch') || '.000000000Z' AS t
                    FROM n)`,
        args: [rows, agents, JOB, now],
      });
      await db.execute("ANALYZE");
      ctx.log(
        `seeded ${agents} agents, ${rows} results in ${(performance.now() - t0).toFixed(0)} ms`,
      );

      const tickCtx: TickContext = {
        deps: be.deps,
        dispatchKv: await be.deps.nats.kv(BUCKET.schedulerDispatch),
        schedulesKv: await be.deps.nats.kv(BUCKET.schedules),
        aliveWindowSecs: 120,
        markCache: new Map<string, Map<string, Mark>>(),
      };
      const tick = async (scheduleId: string) => {
        const t = performance.now();
        const d = await decideDedup(tickCtx, {
          scheduleId,
          jobId: JOB,
          target: { all: true, groups: [], pcs: [] },
          mode: "once_per_pc",
          cooldownMs: 3_600_000,
          autoDisable: false,
          maxConcurrent: null,
          nowMs: Date.now(),
        });
        return { ms: performance.now() - t, expected: d.expected.length, fire: d.pcs.length };
      };

      await tick("warm"); // warm-up (statement cache, page cache, mark load)
      const plain: number[] = [];
      let last = { expected: 0, fire: 0 };
      for (let r = 0; r < runs; r++) {
        const x = await tick("warm");
        plain.push(x.ms);
        last = x;
        ctx.log(
          `tick run ${r + 1}: ${x.ms.toFixed(1)} ms (expected ${x.expected}, fire ${x.fire})`,
        );
      }

      const marks = new Map<string, Mark>();
      const marked = Math.min(2_000, agents);
      for (let i = 0; i < marked; i++) {
        marks.set(`PC${String(agents - 1 - i).padStart(5, "0")}`, {
          atMs: Date.now(),
          untilMs: Date.now() + 600_000,
        });
      }
      tickCtx.markCache.set("marked", marks);
      const withMarks: number[] = [];
      let lastMarked = { expected: 0, fire: 0 };
      for (let r = 0; r < runs; r++) {
        const x = await tick("marked");
        withMarks.push(x.ms);
        lastMarked = x;
        ctx.log(`tick+marks run ${r + 1}: ${x.ms.toFixed(1)} ms (fire ${x.fire})`);
      }

      const row = (name: string, samples: number[], note: string): BenchRow => {
        const m = median(samples);
        return { name, median: m, unit: "ms", samples, target: "≤ 200 ms", ok: m <= 200, note };
      };
      return [
        row(
          `once_per_pc tick decision (${agents} agents, ${rows} results)`,
          plain,
          `expected ${last.expected}, fires at ${last.fire}`,
        ),
        row(
          `… with ${marked} in-flight dispatch marks`,
          withMarks,
          `fires at ${lastMarked.fire}`,
        ),
      ];
    } finally {
      await be.stop();
    }
  },
};
