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
import type { Mark } from "../scheduler/policy.ts";
import { onceEachTick, seed } from "./scale_db.ts";

const JOB = "bench-sched-job";

export const suite: BenchSuite = {
  name: "scheduler",
  async run(ctx) {
    const agents = ctx.quick ? 1_000 : 10_000;
    const rows = ctx.quick ? 100_000 : 1_000_000;
    const runs = ctx.quick ? 3 : 7;
    const be = await startTestBackend({ waves: false });
    try {
      const t0 = performance.now();
      // The scale benchmark's seed: generated inside SQLite, as a million client inserts
      // would dominate the run.
      await seed(be, agents, rows, JOB);
      ctx.log(
        `seeded ${agents} agents, ${rows} results in ${(performance.now() - t0).toFixed(0)} ms`,
      );
      const tick = await onceEachTick(be, JOB);

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
        marks.set(`PC${String(agents - 1 - i).padStart(6, "0")}`, {
          atMs: Date.now(),
          untilMs: Date.now() + 600_000,
        });
      }
      tick.marks.set("marked", marks);
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
