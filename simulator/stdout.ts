/**
 * Realistic job output for scripts the simulator does not interpret (real PowerShell or cmd
 * text): sizes drawn from a log-normal distribution (median 600 bytes, p90 ~4 KiB, p99
 * ~20 KiB, p99.9 ~60 KiB, about 1 in 40,000 above the 256 KiB inline threshold), made of
 * lines that look like the tables and lists such scripts print. Deterministic for a given random source.
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

/** Pure: `bytes` of table-like text lines (each ends in `\n`), deterministic for `rand`. */
export function realisticText(bytes: number, rand: () => number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line = LINES[Math.floor(rand() * LINES.length)];
    if (size + line.length + 1 > bytes) line = line.slice(0, Math.max(0, bytes - size - 1));
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n") + "\n";
}
