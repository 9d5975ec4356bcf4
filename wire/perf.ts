/**
 * Agent performance samples (protocol.md §4.9–§4.10): `HostPerf` on `host_perf.<pc_id>`
 * and `ProcessPerf` (top-N `ProcessSnapshot`s) on `process_perf.<pc_id>`.
 * Optional fields are omit-if-absent on the wire.
 */
import { z } from "zod";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { isRfc3339, wireTs } from "./time.ts";

const rfc3339 = z.string().refine(isRfc3339, "must be an RFC 3339 timestamp");
const optNum = z.number().nullish();
const optInt = z.number().int().nullish();
const ts = (v: unknown) => wireTs(v as string);

export const HostPerfSchema = z.object({
  pc_id: z.string(),
  at: rfc3339,
  cpu_pct: optNum,
  cpu_count: optInt,
  mem_used_bytes: optInt,
  mem_total_bytes: optInt,
  swap_used_bytes: optInt,
  swap_total_bytes: optInt,
  disk_read_bytes_per_sec: optNum,
  disk_written_bytes_per_sec: optNum,
  net_rx_bytes_per_sec: optNum,
  net_tx_bytes_per_sec: optNum,
});
export type HostPerf = z.infer<typeof HostPerfSchema>;

export const HOST_PERF_METRICS = [
  "cpu_pct",
  "cpu_count",
  "mem_used_bytes",
  "mem_total_bytes",
  "swap_used_bytes",
  "swap_total_bytes",
  "disk_read_bytes_per_sec",
  "disk_written_bytes_per_sec",
  "net_rx_bytes_per_sec",
  "net_tx_bytes_per_sec",
] as const;

export const HOST_PERF_FIELDS: readonly FieldSpec[] = [
  ["pc_id", "req"],
  ["at", "req", ts],
  ...HOST_PERF_METRICS.map((k) => [k, "omit"] as const),
];
export const encodeHostPerf = (p: HostPerf) =>
  encodeOrdered(HOST_PERF_FIELDS, p as Record<string, unknown>);

export const ProcessSnapshotSchema = z.object({
  pid: z.number().int().nonnegative(),
  name: z.string(),
  cpu_pct: z.number(),
  rss_bytes: z.number().int(),
  disk_read_bytes_per_sec: optNum,
  disk_written_bytes_per_sec: optNum,
});
export type ProcessSnapshot = z.infer<typeof ProcessSnapshotSchema>;
export const PROCESS_SNAPSHOT_FIELDS: readonly FieldSpec[] = [
  ["pid", "req"],
  ["name", "req"],
  ["cpu_pct", "req"],
  ["rss_bytes", "req"],
  ["disk_read_bytes_per_sec", "omit"],
  ["disk_written_bytes_per_sec", "omit"],
];

export const ProcessPerfSchema = z.object({
  pc_id: z.string(),
  at: rfc3339,
  processes: z.array(ProcessSnapshotSchema).default([]),
});
export type ProcessPerf = z.infer<typeof ProcessPerfSchema>;
export const PROCESS_PERF_FIELDS: readonly FieldSpec[] = [
  ["pc_id", "req"],
  ["at", "req", ts],
  [
    "processes",
    "req",
    (v) => (v as Record<string, unknown>[]).map((p) => encodeOrdered(PROCESS_SNAPSHOT_FIELDS, p)),
  ],
];
export const encodeProcessPerf = (p: ProcessPerf) =>
  encodeOrdered(PROCESS_PERF_FIELDS, p as unknown as Record<string, unknown>);
