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
