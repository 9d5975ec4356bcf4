/**
 * Hot-path timestamp rendering for the projectors (every result carries two, every
 * message a publish time). Same output and same accepted inputs as `dbTs` from
 * wire/time.ts — it stays the single source of truth: the common UTC form
 * `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` reuses the validated, normalised whole-second part
 * (memoised per second), anything else goes to `dbTs` unchanged.
 */
import { dbTs } from "../wire/time.ts";

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
