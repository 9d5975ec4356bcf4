/**
 * The results writer thread's request (projectors/results_writer.ts): what a batch of 10,000
 * realistic result rows costs to cross to the thread and become the upsert's parameters, on
 * both threads, with the outputs as texts in the request (the form before, rebuilt here) and
 * as one blob that is transferred (`PackedRows.outputs`), alternated in one run. Timed: the
 * packing, `structuredClone` (the serialize + deserialize a `postMessage` pays), the
 * thread's unpacking and `rowsParams` over its 2,000-row chunks.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median } from "./types.ts";
import {
  type ResultRowIn,
  rowJson,
  rowsParams,
  UPSERT_CHUNK_ROWS,
} from "../projectors/results_sql.ts";
import { bareRow, outputsTransfer, packRows, unpackRows } from "../projectors/results_writer.ts";
import { chunks } from "../projectors/batch.ts";
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

function chunked(rows: ResultRowIn[]): void {
  for (const part of chunks(rows, UPSERT_CHUNK_ROWS)) rowsParams(part);
}

/** Before: each output a string of the request, encoded into a blob by the thread. */
function textsInRequest(rows: (ResultRowIn & { json: string })[]): void {
  const { outputs: _, ...cols } = packRows([], [], []);
  const req = { ...cols, stdout: [] as string[], stderr: [] as string[] };
  for (const r of rows) {
    req.json.push(r.json);
    req.stdout.push(r.stdout);
    req.stderr.push(r.stderr);
    req.resultIds.push(r.result_id);
    req.execIds.push(r.exec_id);
    req.exitCodes.push(r.exit_code);
    req.jobIds.push(r.job_id);
  }
  const got = structuredClone(req);
  chunked(got.json.map((json, i) => ({
    ...bareRow(got, i),
    stdout: got.stdout[i],
    stderr: got.stderr[i],
    json,
  })));
}

/** Now: the outputs encoded once into a blob whose buffer moves to the thread. */
function blobTransferred(rows: (ResultRowIn & { json: string })[]): void {
  const packed = packRows(rows, [], []);
  chunked(unpackRows(structuredClone(packed, { transfer: outputsTransfer(packed) })));
}

type Form = "texts in the request" | "outputs as a transferred blob";

export const suite: BenchSuite = {
  name: "writer_request",
  async run(ctx) {
    const n = 10_000;
    const runs = ctx.quick ? 5 : 15;
    const rows = batch(n);
    const forms: [Form, (rows: (ResultRowIn & { json: string })[]) => void][] = [
      ["texts in the request", textsInRequest],
      ["outputs as a transferred blob", blobTransferred],
    ];
    const ms = new Map<Form, number[]>(forms.map(([f]) => [f, []]));
    for (const [, f] of forms) f(rows); // warm
    for (let i = 0; i < runs; i++) {
      for (const [name, f] of forms) {
        const t0 = performance.now();
        f(rows);
        ms.get(name)!.push(performance.now() - t0);
      }
      await Promise.resolve();
    }
    const ratio = median(ms.get("texts in the request")!) /
      median(ms.get("outputs as a transferred blob")!);
    ctx.log(`texts in the request / outputs as a transferred blob: ${ratio.toFixed(2)}×`);
    const load = loadAvg();
    return forms.map(([f]): BenchRow => ({
      name: `results writer request, ${n} rows, ${f}: pack, clone, unpack, upsert parameters`,
      median: Number(median(ms.get(f)!).toFixed(1)),
      unit: "ms",
      samples: ms.get(f)!.map((v) => Number(v.toFixed(1))),
      note: `${runs} runs alternated; realistic outputs (mean ~1.9 KB); load ${load}` +
        (f === "outputs as a transferred blob" ? `; ${ratio.toFixed(2)}× less than texts` : ""),
    }));
  },
};
