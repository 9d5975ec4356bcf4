/**
 * The perf query parameters (backend.md §3.3) as zod schemas, parsed at the route edge:
 * time window, bucket step, metric names with their aliases, aggregation. Everything
 * invalid is a 400 naming the parameter (handlers/validate.ts); nothing is clamped.
 */
import { z } from "zod";
import { durationError, parseDurationSecs } from "../../wire/duration.ts";
import { epochMs, isRfc3339 } from "../../wire/time.ts";

export const MAX_BUCKETS = 10_000;

export interface Window {
  fromMs: number;
  toMs: number;
  stepSecs: number;
}

/** Trimmed text; blank means "not given" (browsers send empty form fields). */
const given = (v: unknown) => {
  if (typeof v !== "string") return v;
  const t = v.trim();
  return t === "" ? undefined : t;
};
const givenLower = (v: unknown) => {
  const t = given(v);
  return typeof t === "string" ? t.toLowerCase() : t;
};

/** Humantime span in whole seconds (> 0), e.g. `5m`; `def` when absent. */
export function spanParam(def: number) {
  return z.preprocess(given, z.string().optional()).transform((raw, ctx) => {
    if (raw === undefined) return def;
    const err = durationError(raw) ??
      (parseDurationSecs(raw) > 0 ? null : "must be greater than zero");
    if (err) {
      ctx.addIssue({ code: "custom", message: `'${raw}' is not a usable duration: ${err}` });
      return z.NEVER;
    }
    return Math.max(1, Math.floor(parseDurationSecs(raw)));
  }).meta({ description: `humantime duration (e.g. 5m, 1h); default ${def}s` });
}

/** An RFC 3339 instant as epoch milliseconds. */
const instantMs = z.preprocess(
  given,
  z.string().refine(isRfc3339, "must be an RFC 3339 timestamp").transform(epochMs).optional(),
);

/**
 * Pure: the window from parsed `from`/`to`/`step` (default: the last `spanSecs` up to now),
 * or the problem with it: from >= to, or more than 10 000 buckets.
 */
export function windowOf(
  q: { from?: number; to?: number; step: number },
  spanSecs: number,
  nowMs: number,
): Window | { path: "from" | "step"; message: string } {
  const toMs = q.to ?? nowMs;
  const fromMs = q.from ?? toMs - spanSecs * 1000;
  if (fromMs >= toMs) return { path: "from", message: "must be before 'to'" };
  const buckets = Math.ceil((toMs - fromMs) / 1000 / q.step);
  if (buckets > MAX_BUCKETS) {
    return {
      path: "step",
      message:
        `the window needs ${buckets} buckets of ${q.step}s; at most ${MAX_BUCKETS} (use a larger step)`,
    };
  }
  return { fromMs, toMs, stepSecs: q.step };
}

/**
 * Query `from`, `to`, `step` (plus `extra` parameters) parsed into `{...extra, window}`.
 * `now` is read at parse time (tests pin it).
 */
export function windowQuery<E extends z.ZodRawShape>(
  defaults: { spanSecs: number; stepSecs: number },
  extra: E,
  now: () => number = Date.now,
) {
  return z.object({
    ...extra,
    from: instantMs.meta({ description: "window start (RFC 3339); default: `to` minus the span" }),
    to: instantMs.meta({ description: "window end, exclusive (RFC 3339); default: now" }),
    step: spanParam(defaults.stepSecs),
  }).transform((q, ctx) => {
    // zod cannot narrow the generic shape: from/to/step are the fields declared just above.
    const w = windowOf(q as unknown as Parameters<typeof windowOf>[0], defaults.spanSecs, now());
    if ("path" in w) {
      ctx.addIssue({ code: "custom", path: [w.path], message: w.message });
      return z.NEVER;
    }
    return { ...q, window: w };
  });
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
const PROCESS_METRICS: Record<string, string> = {
  cpu_pct: "cpu_pct",
  cpu: "cpu_pct",
  rss_bytes: "rss_bytes",
  rss: "rss_bytes",
  mem: "rss_bytes",
  memory: "rss_bytes",
};

/** Every accepted name → its column: `<prefix>`, `_bytes`, `_per_sec`, `_bytes_per_sec`. */
function aliasTable(names: Record<string, string>, prefixes: [string, string][]) {
  const table = new Map(Object.entries(names));
  for (const [p, col] of prefixes) {
    for (const n of [p, `${p}_bytes`, `${p}_per_sec`, `${p}_bytes_per_sec`]) table.set(n, col);
  }
  return table;
}

/** A metric name or alias (case-insensitive) → `{name, column}`; default cpu_pct. */
function metricParam(table: Map<string, string>) {
  const columns = [...new Set(table.values())];
  const names = [...table.keys()] as [string, ...string[]];
  return z.preprocess(
    givenLower,
    z.enum(names, { error: `must be one of ${columns.join(", ")}` }).default("cpu_pct"),
  ).transform((m) => {
    const column = table.get(m)!;
    return { name: column, column };
  }).meta({ description: `one of ${columns.join(", ")} (or an alias); default cpu_pct` });
}

/** `?metric=` of host perf (fleet, top). */
export const hostMetricParam = metricParam(aliasTable(HOST_METRICS, HOST_RATE_PREFIXES));
/** `?metric=` of the process timeline. */
export const processMetricParam = metricParam(
  aliasTable(PROCESS_METRICS, HOST_RATE_PREFIXES.slice(0, 2)),
);

/** `?agg=`: avg (alias mean) or max; default avg. */
export const aggParam = z.preprocess(
  givenLower,
  z.enum(["avg", "mean", "max"], { error: "must be avg, mean or max" }).default("avg"),
).transform((a): "avg" | "max" => (a === "max" ? "max" : "avg"));
