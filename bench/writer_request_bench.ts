/**
 * The results writer thread's request (projectors/results_writer.ts): what crossing to the
 * thread costs for a batch of 10,000 realistic result rows, as row objects (the request
 * before `PackedRows`) and as `PackedRows`, alternated in one run. Measured as
 * `structuredClone`, the serialize + deserialize a `postMessage` pays on the two threads.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median } from "./types.ts";
import { type ResultRowIn, rowJson } from "../projectors/results_sql.ts";
import { packRows } from "../projectors/results_writer.ts";
import { realisticSize, realisticText } from "../simulator/stdout.ts";
import { prng } from "../simulator/util.ts";

function batch(n: number): (ResultRowIn & { json: string })[] {
  const r = prng(18);
  return Array.from({ length: n }, (_, i) => {
    const row: ResultRowIn = {
      result_id: crypto.randomUUID(),
      request_id: "5f0c8a4e-0000-4000-8000-000000000001",
      exec_id: "5f0c8a4e-0000-4000-8000-000000000002",
      pc_id: `S-${String(i).padStart(6, "0")}`,
      exit_code: r() < 0.02 ? 1 : 0,
      stdout: realisticText(realisticSize(r(), r()), r),
      stderr: "",
      started_at: "2026-12-06T12:00:00.123456789Z",
      finished_at: "2026-12-06T12:00:01.123456789Z",
      recorded_at: "2026-12-06T12:00:01.223456789Z",
      job_id: "scale-echo",
    };
    return { ...row, json: rowJson(row) };
  });
}

type Form = "row objects" | "PackedRows";

export const suite: BenchSuite = {
  name: "writer_request",
  async run(ctx) {
    const n = 10_000;
    const runs = ctx.quick ? 5 : 15;
    const rows = batch(n);
    // The request as row objects: each row with its json (no outputs) and its texts.
    const objects = rows;
    const packed = packRows(rows, [], []);
    const forms: [Form, unknown][] = [["row objects", objects], ["PackedRows", packed]];
    const ms = new Map<Form, number[]>(forms.map(([f]) => [f, []]));
    for (const [, v] of forms) structuredClone(v); // warm
    for (let i = 0; i < runs; i++) {
      for (const [f, v] of forms) {
        const t0 = performance.now();
        structuredClone(v);
        ms.get(f)!.push(performance.now() - t0);
      }
      await Promise.resolve();
    }
    const ratio = median(ms.get("row objects")!) / median(ms.get("PackedRows")!);
    ctx.log(`row objects / PackedRows: ${ratio.toFixed(2)}×`);
    const load = loadAvg();
    return forms.map(([f]): BenchRow => ({
      name: `results writer request, ${n} rows as ${f}: serialize + deserialize`,
      median: Number(median(ms.get(f)!).toFixed(1)),
      unit: "ms",
      samples: ms.get(f)!.map((v) => Number(v.toFixed(1))),
      note: `${runs} runs alternated; realistic outputs (mean ~1.9 KB); load ${load}` +
        (f === "PackedRows" ? `; ${ratio.toFixed(2)}× less than row objects` : ""),
    }));
  },
};
