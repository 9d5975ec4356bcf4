/** process_perf projector: `process_perf.>` → `process_perf_samples`, one row per process. */
import type { Transaction } from "@libsql/client";
import { type ProcessPerf, ProcessPerfSchema } from "../wire/perf.ts";
import { SUBJECT } from "../wire/names.ts";
import { dbTs } from "../wire/time.ts";
import { insertStatements } from "./batch.ts";
import type { CoreProjectorSpec } from "./core_projector.ts";

export const decodeProcessPerf = (data: Uint8Array) =>
  ProcessPerfSchema.parse(JSON.parse(new TextDecoder().decode(data)));

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
  const stmts = insertStatements(
    `INSERT OR IGNORE INTO process_perf_samples (pc_id, at, pid, name, cpu_pct, rss_bytes,
       disk_read_bytes_per_sec, disk_written_bytes_per_sec)`,
    rows,
  );
  if (stmts.length) await tx.batch(stmts);
}

export const processPerfSpec: CoreProjectorSpec<ProcessPerf> = {
  name: "process_perf",
  subject: SUBJECT.processPerfFilter,
  decode: decodeProcessPerf,
  async apply(tx, items) {
    await applyProcessPerf(tx, items);
    return [];
  },
};
