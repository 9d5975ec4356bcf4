/**
 * Realistic job output for scripts the simulator does not interpret (real PowerShell or cmd
 * text): sizes drawn from a log-normal distribution (median 600 bytes, p90 ~4 KiB, p99
 * ~20 KiB, p99.9 ~60 KiB, about 1 in 40,000 above the 256 KiB inline threshold), made of
 * lines that look like the tables and lists such scripts print, cut from one shared text.
 * Deterministic for a given random source.
 */
import { prng } from "./util.ts";

/** Largest realistic output (beyond it a real job would be written to a file). */
export const MAX_REALISTIC_BYTES = 1024 * 1024;
const MEDIAN_BYTES = 600;
const SIGMA = 1.5;

/** Pure: an output size from two uniform draws (Box–Muller). */
export function realisticSize(u1: number, u2: number): number {
  const z = Math.sqrt(-2 * Math.log(Math.max(u1, 1e-12))) * Math.cos(2 * Math.PI * u2);
  return Math.min(
    MAX_REALISTIC_BYTES,
    Math.max(16, Math.round(MEDIAN_BYTES * Math.exp(SIGMA * z))),
  );
}

const WORDS = [
  "Running",
  "Stopped",
  "Automatic",
  "Manual",
  "wuauserv",
  "BITS",
  "Spooler",
  "WinDefend",
  "Dhcp",
  "EventLog",
  "C:\\Windows\\System32",
  "10.0.19045",
  "Microsoft Corporation",
  "True",
  "False",
  "OK",
];

/**
 * Table-like lines, built once: picking a whole line per random draw instead of composing
 * each line cell by cell keeps a 100,000-agent exec from spending its time making up text.
 */
const LINES: readonly string[] = (() => {
  const r = prng(0x5eed);
  return Array.from({ length: 512 }, () => {
    const cols = 2 + Math.floor(r() * 4);
    const cells: string[] = [];
    for (let i = 0; i < cols; i++) cells.push(WORDS[Math.floor(r() * WORDS.length)].padEnd(14));
    return cells.join(" ").trimEnd();
  });
})();

/**
 * One text of random LINES, twice the largest output, and where its lines end. Outputs are
 * slices of it: V8 keeps a slice as a pointer into this one string (a few dozen bytes)
 * instead of a copy. Why: in an exec to all every run's output lives until its result is
 * acked, seconds in a burst, so it survived the young-generation collections and was copied
 * and promoted (~1.9 KB a run, 25,000 runs a process), and each agent keeps its last run
 * for `job.tail`.
 */
const TEXT = (() => {
  const r = prng(0xfeed);
  const lines: string[] = [];
  let size = 0;
  while (size < 2 * MAX_REALISTIC_BYTES) {
    const line = LINES[Math.floor(r() * LINES.length)];
    lines.push(line);
    size += line.length + 1;
  }
  const text = lines.join("\n") + "\n";
  const ends: number[] = [];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) ends.push(i + 1);
  return { text, ends };
})();

/**
 * Pure: `bytes` of table-like text that ends a line (its first line may start mid-row, as a
 * cut table does), deterministic for `rand`; at most MAX_REALISTIC_BYTES.
 */
export function realisticText(bytes: number, rand: () => number): string {
  const n = Math.max(1, Math.min(Math.round(bytes), MAX_REALISTIC_BYTES));
  const { text, ends } = TEXT;
  // The first line end from which `n` characters back still lie inside the text.
  let lo = 0;
  for (let hi = ends.length - 1; lo < hi;) {
    const mid = (lo + hi) >> 1;
    if (ends[mid] >= n) hi = mid;
    else lo = mid + 1;
  }
  const first = lo;
  const end = ends[first + Math.floor(rand() * (ends.length - first))];
  return text.slice(end - n, end);
}
