/** process_perf projector: `process_perf.>` → `process_perf_samples`, one row per process. */
import type { Transaction } from "@libsql/client";
import { type ProcessPerf, ProcessPerfSchema } from "../wire/perf.ts";
import { SUBJECT } from "../wire/names.ts";
import { dbTs } from "../wire/time.ts";
import { insertRows } from "./batch.ts";
import { type CoreProjectorSpec, silentApply } from "./core_projector.ts";
import { parseJsonBytes } from "../wire/codec.ts";

export const decodeProcessPerf = (data: Uint8Array) =>
  ProcessPerfSchema.parse(parseJsonBytes(data));

export async function applyProcessPerf(tx: Transaction, items: ProcessPerf[]): Promise<void> {
  const rows = items.flatMap((s) => {
    const at = dbTs(s.at);
    return s.processes.map((p) => [
      s.pc_id,
      at,
      p.pid,
      p.name,
      p.cpu_pct,
      p.rss_bytes,
      p.disk_read_bytes_per_sec ?? null,
      p.disk_written_bytes_per_sec ?? null,
    ]);
  });
  await insertRows(
    tx,
    `INSERT OR IGNORE INTO process_perf_samples (pc_id, at, pid, name, cpu_pct, rss_bytes,
       disk_read_bytes_per_sec, disk_written_bytes_per_sec)`,
    rows,
  );
}

export const processPerfSpec: CoreProjectorSpec<ProcessPerf> = {
  name: "process_perf",
  subject: SUBJECT.processPerfFilter,
  decode: decodeProcessPerf,
  apply: silentApply(applyProcessPerf),
};
