/** What a benchmark suite (`bench/<name>_bench.ts`) reports. */
export interface BenchRow {
  /** What was measured, e.g. "projector throughput (batched)". */
  name: string;
  /** The median over `samples`. */
  median: number;
  unit: string;
  /** Each run's value (several runs; the table shows the median, never one timing). */
  samples: number[];
  /** Target as text, e.g. "≥ 20000" or "≤ 1.5 s". */
  target?: string;
  /** Whether the median meets the target (omitted when there is none). */
  ok?: boolean;
  /** Free note: ratio to a baseline, sizes, p95... */
  note?: string;
}

export interface BenchContext {
  /** `--quick`: smaller sizes for a smoke run (CI / development). */
  quick: boolean;
  /** The command-line arguments after `--` (a suite may read its own, e.g. `--sizes`). */
  args: string[];
  log(msg: string): void;
  /** Add a markdown section after the table (a suite's own table, e.g. the scale table). */
  section(markdown: string): void;
}

export interface BenchSuite {
  name: string;
  /** Runs only when named with `--only` (long runs such as the 30-minute soak). */
  explicit?: boolean;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** The value after `flag` in `args`, or undefined. */
export function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** 1-minute load average (the box is shared; every figure is read next to it). */
export function loadAvg(): number {
  return Math.round(Deno.loadavg()[0] * 100) / 100;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** 0..n-1 in a random order drawn from `rand` (Fisher–Yates; deterministic for a seeded prng). */
export function shuffledRange(n: number, rand: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
