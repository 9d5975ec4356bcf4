/**
 * Dates, bounds and day windows shared by a schedule's `active`, `constraints.window` and
 * `skip_dates` and by the fleet freeze.
 */
import type { Tz } from "./schedule.ts";
import { parseInstant } from "./time.ts";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseDate(s: string): { year: number; month: number; day: number } | string {
  const m = DATE_RE.exec(s.trim());
  if (!m) return "input is not a YYYY-MM-DD date";
  const [year, month, day] = [+m[1], +m[2], +m[3]];
  if (month < 1 || month > 12 || day < 1) return "input is out of range";
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return "input is out of range";
  return { year, month, day };
}

export type BoundResult = { ms: number } | { error: "unparseable" | "dst_gap" };

/** An `active`/`freeze` bound: RFC 3339 (own offset) or `YYYY-MM-DD` (midnight in tz). */
export function parseBound(s: string, tz: Tz): BoundResult {
  const d = parseDate(s);
  if (typeof d !== "string") {
    if (tz === "utc") return { ms: Date.UTC(d.year, d.month - 1, d.day) };
    const local = new Date(d.year, d.month - 1, d.day, 0, 0, 0, 0);
    // A local midnight that does not exist (DST gap) is normalised by Date; detect it.
    if (local.getDate() !== d.day || local.getHours() !== 0 || local.getMinutes() !== 0) {
      return { error: "dst_gap" };
    }
    return { ms: local.getTime() };
  }
  try {
    return { ms: parseInstant(s).ms };
  } catch {
    return { error: "unparseable" };
  }
}

/** Shared bound checks of `active` and `freeze` (message prefix differs). */
export function boundsError(
  from: string | null | undefined,
  until: string | null | undefined,
  tz: Tz,
  prefix: "active" | "freeze",
): string | null {
  const parsed: (number | null)[] = [];
  for (const b of [from, until]) {
    if (b === null || b === undefined) {
      parsed.push(null);
      continue;
    }
    const r = parseBound(b, tz);
    if ("error" in r) {
      return r.error === "dst_gap"
        ? `${prefix}: bound '${b}' falls in a DST gap for the schedule's tz`
        : `${prefix}: unparseable bound '${b}' (want YYYY-MM-DD or RFC3339)`;
    }
    parsed.push(r.ms);
  }
  if (parsed[0] !== null && parsed[1] !== null && parsed[0] >= parsed[1]) {
    return `${prefix}.from (${from}) must be strictly before ${prefix}.until (${until})`;
  }
  return null;
}

export interface DayWindow {
  /** Minutes after midnight. */
  start: number;
  end: number;
}

/** `HH:MM-HH:MM`; an error message (upstream wording) or the window. */
export function parseWindow(s: string): DayWindow | string {
  const parts = s.split("-");
  if (parts.length !== 2) return `constraints.window: '${s}' must be 'HH:MM-HH:MM'`;
  const mins: number[] = [];
  for (const p of parts) {
    const t = p.trim();
    const m = /^(\d{1,2}):(\d{2})$/.exec(t);
    if (!m) return `constraints.window: invalid time '${t}': input contains invalid characters`;
    if (+m[1] > 23 || +m[2] > 59) {
      return `constraints.window: invalid time '${t}': input is out of range`;
    }
    mins.push(+m[1] * 60 + +m[2]);
  }
  if (mins[0] === mins[1]) {
    return `constraints.window: start and end are equal ('${s}'); omit window for 'always'`;
  }
  return { start: mins[0], end: mins[1] };
}

/** Half-open `[start, end)`; start > end crosses midnight. */
export function inWindow(w: DayWindow, minuteOfDay: number): boolean {
  return w.start < w.end
    ? minuteOfDay >= w.start && minuteOfDay < w.end
    : minuteOfDay >= w.start || minuteOfDay < w.end;
}
