/** host_perf projector: `host_perf.>` → `host_perf_samples` (PK (pc_id, at) dedups resends). */
import type { Transaction } from "@libsql/client";
import { HOST_PERF_METRICS, type HostPerf, HostPerfSchema } from "../wire/perf.ts";
import { SUBJECT } from "../wire/names.ts";
import { dbTs } from "../wire/time.ts";
import { insertRows } from "./batch.ts";
import { type CoreProjectorSpec, silentApply } from "./core_projector.ts";
import { parseJsonBytes } from "../wire/codec.ts";

export const decodeHostPerf = (data: Uint8Array) => HostPerfSchema.parse(parseJsonBytes(data));

export async function applyHostPerf(tx: Transaction, items: HostPerf[]): Promise<void> {
  await insertRows(
    tx,
    `INSERT OR IGNORE INTO host_perf_samples (pc_id, at, ${HOST_PERF_METRICS.join(",")})`,
    items.map((p) => [p.pc_id, dbTs(p.at), ...HOST_PERF_METRICS.map((k) => p[k] ?? null)]),
  );
}

export const hostPerfSpec: CoreProjectorSpec<HostPerf> = {
  name: "host_perf",
  subject: SUBJECT.hostPerfFilter,
  decode: decodeHostPerf,
  apply: silentApply(applyHostPerf),
};
