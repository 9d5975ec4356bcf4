/**
 * humantime durations (`30s`, `1h 30m`, `1d`, `2weeks`), the unit set of the Rust
 * `humantime` crate that upstream manifests and schedules use.
 */

const UNIT_NANOS: Record<string, bigint> = {};
const NS = 1n, US = 1_000n, MS = 1_000_000n, S = 1_000_000_000n;
const M = 60n * S, H = 60n * M, D = 24n * H, W = 7n * D;
// humantime: a month is 30.44 days, a year 365.25 days.
const MONTH = 2_630_016n * S, YEAR = 31_557_600n * S;
for (
  const [units, v] of [
    [["nsec", "ns"], NS],
    [["usec", "us", "µs"], US],
    [["msec", "ms"], MS],
    [["seconds", "second", "sec", "s"], S],
    [["minutes", "minute", "min", "m"], M],
    [["hours", "hour", "hr", "hrs", "h"], H],
    [["days", "day", "d"], D],
    [["weeks", "week", "wk", "w"], W],
    [["months", "month", "M"], MONTH],
    [["years", "year", "yr", "y"], YEAR],
  ] as const
) for (const u of units) UNIT_NANOS[u] = v;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DurationError";
  }
}

/** Parse to nanoseconds (bigint, so `1y` and `1ns` are both exact). */
export function parseDurationNanos(input: string): bigint {
  const s = input.trim();
  if (s === "") throw new DurationError("value was empty");
  let i = 0;
  let total = 0n;
  let sawAny = false;
  while (i < s.length) {
    while (i < s.length && s[i] === " ") i++;
    if (i >= s.length) break;
    const numStart = i;
    while (i < s.length && s[i] >= "0" && s[i] <= "9") i++;
    if (i === numStart) throw new DurationError(`expected number at ${numStart}`);
    const num = BigInt(s.slice(numStart, i));
    while (i < s.length && s[i] === " ") i++;
    const unitStart = i;
    while (i < s.length && !(s[i] >= "0" && s[i] <= "9") && s[i] !== " ") i++;
    const unit = s.slice(unitStart, i);
    if (unit === "") throw new DurationError("time unit needed, for example 30s or 5m");
    const mult = Object.hasOwn(UNIT_NANOS, unit) ? UNIT_NANOS[unit] : undefined;
    if (mult === undefined) {
      throw new DurationError(
        `unknown time unit "${unit}", supported units: ns, us, ms, sec, min, hours, days, weeks, months, years (and few variations)`,
      );
    }
    total += num * mult;
    sawAny = true;
  }
  if (!sawAny) throw new DurationError("value was empty");
  return total;
}

/** Parse to milliseconds (floored). */
export function parseDurationMs(input: string): number {
  return Number(parseDurationNanos(input) / MS);
}

/** Parse to whole seconds (floored, as upstream's `as_secs()`). */
export function parseDurationSecs(input: string): number {
  return Number(parseDurationNanos(input) / S);
}

/** `Result`-style helper for validation messages: the error text or null. */
export function durationError(input: string): string | null {
  try {
    parseDurationNanos(input);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Render seconds as humantime (`1h 30m`, `0s`), as `humantime::format_duration` does. */
export function formatDurationSecs(totalSecs: number): string {
  if (totalSecs <= 0) return "0s";
  let rest = Math.floor(totalSecs);
  const out: string[] = [];
  const units: [number, string][] = [
    [31_557_600, "y"],
    [2_630_016, "month"],
    [86_400, "d"],
    [3_600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  for (const [size, name] of units) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      rest -= n * size;
      out.push(`${n}${name === "month" ? (n === 1 ? "month" : "months") : name}`);
    }
  }
  return out.join(" ");
}
