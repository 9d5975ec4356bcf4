/**
 * Hot-path timestamp rendering for the projectors (every result carries two, every
 * message a publish time). Same output and same accepted inputs as `dbTs` from
 * wire/time.ts — it stays the single source of truth: the common UTC form
 * `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` reuses the validated, normalised whole-second part
 * (memoised per second), anything else goes to `dbTs` unchanged.
 */
import { dbTs, epochMs } from "../wire/time.ts";

const UTC_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;
const MAX_CACHED = 4096;
const secondBase = new Map<string, string>();

/** `dbTs(s)` for a string, faster for the common UTC form. Throws exactly as `dbTs`. */
export function fastDbTs(s: string): string {
  const m = UTC_RE.exec(s);
  if (!m) return dbTs(s);
  let base = secondBase.get(m[1]);
  if (base === undefined) {
    try {
      // The fraction adds < 1 s, so it never changes the (normalised) second.
      base = dbTs(`${m[1]}Z`).slice(0, 19);
    } catch {
      return dbTs(s); // the original value in the error message
    }
    if (secondBase.size >= MAX_CACHED) secondBase.clear();
    secondBase.set(m[1], base);
  }
  return `${base}.${(m[2] ?? "").padEnd(9, "0")}Z`;
}

let lastSec = NaN;
let lastBase = "";

/** `dbTs({ms, subMsNanos})` with the second's text reused across consecutive calls. */
export function fastInstantDb(ms: number, subMsNanos: number): string {
  if (!(ms >= 0) || !Number.isInteger(ms)) return dbTs({ ms, subMsNanos });
  const sec = Math.floor(ms / 1000);
  if (sec !== lastSec) {
    lastBase = new Date(sec * 1000).toISOString().slice(0, 19);
    lastSec = sec;
  }
  return `${lastBase}.${String((ms - sec * 1000) * 1_000_000 + subMsNanos).padStart(9, "0")}Z`;
}

const DB_RE = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

/**
 * `epochMs(s)` for the canonical DB text (`dbTs`'s own output, e.g. a message's publish
 * time) of years 1000-9999, read by the runtime's date parser; anything else goes to
 * `epochMs` unchanged.
 */
export function fastDbMs(s: string): number {
  if (DB_RE.test(s)) {
    const ms = Date.parse(`${s.slice(0, 23)}Z`);
    // The runtime's parser rolls 2026-02-30 and 24:00 over to the next day; epochMs refuses
    // them: only a value that renders back to itself is taken.
    if (!Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === s.slice(0, 19)) {
      return ms;
    }
  }
  return epochMs(s);
}
