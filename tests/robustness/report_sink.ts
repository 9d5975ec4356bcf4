/**
 * Robustness figures: each fault/abuse suite records what it tried and what it found in
 * one JSON file, and `tests/robustness/report.ts` prints the summary for the README.
 */
export interface RobustnessFigures {
  suite: string;
  requests?: number;
  faultsInjected?: number;
  messagesSent?: number;
  messagesLost?: number;
  duplicates?: number;
  notes?: string;
  at?: string;
}

export const REPORT_PATH = Deno.env.get("KANADE_ROBUSTNESS_REPORT") ??
  `${Deno.env.get("TMPDIR") ?? "/tmp"}/kanade-robustness.json`;

export async function recordFigures(f: RobustnessFigures): Promise<void> {
  let all: Record<string, RobustnessFigures> = {};
  try {
    all = JSON.parse(await Deno.readTextFile(REPORT_PATH));
  } catch {
    // first suite of the run, or an unreadable leftover: start over
  }
  all[f.suite] = { ...f, at: new Date().toISOString() };
  await Deno.writeTextFile(REPORT_PATH, JSON.stringify(all, null, 2));
}

export async function readFigures(
  path = REPORT_PATH,
): Promise<Record<string, RobustnessFigures>> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return {};
  }
}

/** Small, fast, seedable PRNG (mulberry32) so a failing fuzz run can be replayed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof prng>;
