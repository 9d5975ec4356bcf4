/**
 * Pure parsing of the perf query parameters (backend.md §3.3): time window, bucket step,
 * metric names with their aliases, aggregation, and the limits. Everything invalid is a
 * 400 with the offending value in the message.
 */
import { badRequest } from "../errors.ts";
import { durationError, parseDurationSecs } from "../../wire/duration.ts";
import { epochMs, isRfc3339 } from "../../wire/time.ts";

export const MAX_BUCKETS = 10_000;

export interface Window {
  fromMs: number;
  toMs: number;
  stepSecs: number;
}

/** Humantime step/window in whole seconds (> 0). */
export function parseSpan(raw: string | undefined, what: string, def: number): number {
  if (raw === undefined || raw.trim() === "") return def;
  const err = durationError(raw.trim());
  if (err) throw badRequest(`invalid ${what} '${raw}': ${err}`);
  const secs = parseDurationSecs(raw.trim());
  if (!(secs > 0)) throw badRequest(`invalid ${what} '${raw}': must be greater than zero`);
  return Math.max(1, Math.floor(secs));
}

function parseInstantParam(raw: string | undefined, what: string): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  if (!isRfc3339(raw.trim())) throw badRequest(`invalid ${what} '${raw}': must be RFC 3339`);
  return epochMs(raw.trim());
}

/**
 * `from`/`to` (default: the last `defaultSpanSecs` up to now) and `step`. 400 when
 * from >= to or the window would need more than 10 000 buckets.
 */
export function parseWindow(
  q: { from?: string; to?: string; step?: string },
  defaults: { spanSecs: number; stepSecs: number },
  nowMs: number,
): Window {
  const stepSecs = parseSpan(q.step, "step", defaults.stepSecs);
  const toMs = parseInstantParam(q.to, "to") ?? nowMs;
  const fromMs = parseInstantParam(q.from, "from") ?? toMs - defaults.spanSecs * 1000;
  if (fromMs >= toMs) throw badRequest("invalid window: 'from' must be before 'to'");
  const buckets = Math.ceil((toMs - fromMs) / 1000 / stepSecs);
  if (buckets > MAX_BUCKETS) {
    throw badRequest(
      `window needs ${buckets} buckets of ${stepSecs}s; at most ${MAX_BUCKETS} (use a larger step)`,
    );
  }
  return { fromMs, toMs, stepSecs };
}

/** Pure: bucket start (epoch seconds) of an instant. */
export function bucketStart(epochSecs: number, stepSecs: number): number {
  return Math.floor(epochSecs / stepSecs) * stepSecs;
}

const HOST_METRICS: Record<string, string> = {
  cpu_pct: "cpu_pct",
  cpu: "cpu_pct",
  mem_used_bytes: "mem_used_bytes",
  mem: "mem_used_bytes",
  memory: "mem_used_bytes",
};
const HOST_RATE_PREFIXES: [string, string][] = [
  ["disk_read", "disk_read_bytes_per_sec"],
  ["disk_written", "disk_written_bytes_per_sec"],
  ["net_rx", "net_rx_bytes_per_sec"],
  ["net_tx", "net_tx_bytes_per_sec"],
];

/** Own-key lookup: a query value such as `constructor` must not reach inherited props. */
function lookup(map: Record<string, string>, key: string): string | null {
  return Object.hasOwn(map, key) ? map[key] : null;
}

/** Accept `<prefix>`, `<prefix>_bytes`, `<prefix>_bytes_per_sec`, `<prefix>_per_sec`. */
function rateAlias(m: string, prefixes: [string, string][]): string | null {
  for (const [p, col] of prefixes) {
    if ([p, `${p}_bytes`, `${p}_per_sec`, `${p}_bytes_per_sec`].includes(m)) return col;
  }
  return null;
}

/** A `host_perf_samples` column for a fleet/top metric name (default cpu_pct). */
export function hostMetric(raw: string | undefined): { name: string; column: string } {
  const m = (raw ?? "cpu_pct").trim().toLowerCase() || "cpu_pct";
  const column = lookup(HOST_METRICS, m) ?? rateAlias(m, HOST_RATE_PREFIXES);
  if (!column) {
    throw badRequest(
      `invalid metric '${raw}': one of cpu_pct, mem_used_bytes, disk_read_bytes_per_sec, disk_written_bytes_per_sec, net_rx_bytes_per_sec, net_tx_bytes_per_sec`,
    );
  }
  return { name: column, column };
}

const PROCESS_METRICS: Record<string, string> = {
  cpu_pct: "cpu_pct",
  cpu: "cpu_pct",
  rss_bytes: "rss_bytes",
  rss: "rss_bytes",
  mem: "rss_bytes",
  memory: "rss_bytes",
};

/** A `process_perf_samples` column for a timeline metric (default cpu_pct). */
export function processMetric(raw: string | undefined): { name: string; column: string } {
  const m = (raw ?? "cpu_pct").trim().toLowerCase() || "cpu_pct";
  const column = lookup(PROCESS_METRICS, m) ?? rateAlias(m, HOST_RATE_PREFIXES.slice(0, 2));
  if (!column) {
    throw badRequest(
      `invalid metric '${raw}': one of cpu_pct, rss_bytes, disk_read_bytes_per_sec, disk_written_bytes_per_sec`,
    );
  }
  return { name: column, column };
}

export function parseAgg(raw: string | undefined): "avg" | "max" {
  const a = (raw ?? "avg").trim().toLowerCase() || "avg";
  if (a === "avg" || a === "mean") return "avg";
  if (a === "max") return "max";
  throw badRequest(`invalid agg '${raw}': one of avg, mean, max`);
}

/** Integer clamp for `top`/`limit`: absent → default, garbage → 400. */
export function parseLimit(
  raw: string | undefined,
  what: string,
  def: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw.trim() === "") return def;
  if (!/^-?\d+$/.test(raw.trim())) throw badRequest(`invalid ${what} '${raw}': must be an integer`);
  return Math.min(max, Math.max(min, Number(raw.trim())));
}
