/**
 * `when:` at the engine: the lowering table (re-exported from the wire module, which owns
 * it because validate() needs it too) and the pure tick-time gates of a `when` schedule:
 * the `active` window (fails open), `constraints.window` and `skip_dates` (fail closed).
 */
import { engineTerms } from "../wire/schedule_when.ts";
import { inWindow, parseBound, parseDate, parseWindow } from "../wire/bounds.ts";
import { isWhenShape, type Schedule, type Tz } from "../wire/schedule.ts";

export {
  calendarCron,
  engineTerms,
  lowerWhen,
  parseCalendarAt,
  POLL_CRON,
} from "../wire/schedule_when.ts";

/** Calendar parts of an instant in the schedule's tz. */
export function localParts(ms: number, tz: Tz) {
  const d = new Date(ms);
  return tz === "utc"
    ? {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes(),
    }
    : {
      year: d.getFullYear(),
      month: d.getMonth() + 1,
      day: d.getDate(),
      minuteOfDay: d.getHours() * 60 + d.getMinutes(),
    };
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/**
 * Why this tick must not fire, or null to go ahead. Only `when` schedules carry gates;
 * the legacy cron shape has none.
 */
export function tickGate(s: Schedule, tickMs: number): string | null {
  if (!isWhenShape(s)) return null;
  const tz = engineTerms(s).tz;
  const bound = (b: string | null | undefined): number | null => {
    if (b === null || b === undefined) return null;
    const r = parseBound(b, tz);
    return "ms" in r ? r.ms : null; // an unparseable bound counts as absent (fails open)
  };
  const from = bound(s.active?.from);
  const until = bound(s.active?.until);
  if (from !== null && tickMs < from) return "before active.from";
  if (until !== null && tickMs >= until) return "at or after active.until";

  const c = s.constraints;
  if (!c) return null;
  const p = localParts(tickMs, tz);
  if (c.window !== null && c.window !== undefined) {
    const w = parseWindow(c.window);
    if (typeof w === "string") return `corrupt constraints.window (${w})`;
    if (!inWindow(w, p.minuteOfDay)) return "outside constraints.window";
  }
  if (c.skip_dates?.length) {
    const today = `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
    for (const d of c.skip_dates) {
      if (typeof parseDate(d) === "string") return `corrupt constraints.skip_dates entry '${d}'`;
      if (d.trim() === today) return "skip date";
    }
  }
  return null;
}
