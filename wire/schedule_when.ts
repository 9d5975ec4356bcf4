/**
 * `when:` lowering (protocol.md §6.2.2): the cron, dedup mode, cooldown and auto-disable
 * flag the engine runs a schedule of either shape with, and the human display of its
 * trigger.
 */
import { isWhenShape, type Mode, MODES, type Schedule, type Tz, type When } from "./schedule.ts";

export interface Lowered {
  /** Six- or seven-field cron with seconds; null for `on` (agent-fired OS events). */
  cron: string | null;
  mode: Mode | "event";
  /** humantime cooldown, or null ("succeed once, never again"). */
  cooldown: string | null;
}

/** Reconcile cadence of per_pc / per_target schedules (every minute, seconds first). */
export const POLL_CRON = "0 * * * * *";

export interface CalendarAt {
  hour: number;
  minute: number;
  /** Present for a one-shot (`YYYY-MM-DD HH:MM`). */
  date?: { year: number; month: number; day: number };
}

const AT_TIME_RE = /^(\d{1,2}):(\d{2})$/;
const AT_DATED_RE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]+)(\d{1,2}):(\d{2})$/;

/** `HH:MM` or `YYYY-MM-DD HH:MM` (also `T` or `/` separators); null when unparseable. */
export function parseCalendarAt(at: string): CalendarAt | null {
  const s = at.trim();
  let m = AT_TIME_RE.exec(s);
  if (m) {
    const hour = +m[1], minute = +m[2];
    return hour <= 23 && minute <= 59 ? { hour, minute } : null;
  }
  m = AT_DATED_RE.exec(s);
  if (!m) return null;
  const [year, month, day, hour, minute] = [+m[1], +m[2], +m[3], +m[4], +m[5]];
  if (hour > 23 || minute > 59 || month < 1 || month > 12 || day < 1) return null;
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null;
  return { hour, minute, date: { year, month, day } };
}

export const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAY_ATOM = "(?:sun|mon|tue|wed|thu|fri|sat|[0-7])";
const DAY_TOKEN_RE = new RegExp(
  `^(?:\\*|${DAY_ATOM}|${DAY_ATOM}-${DAY_ATOM}|${DAY_ATOM}#[1-5]|${DAY_ATOM}l)$`,
);

/** One `days` entry: a name, 0–7, `*`, a range (`mon-fri`), `tue#2` or `friL`. */
export function isDayToken(tok: string): boolean {
  return DAY_TOKEN_RE.test(tok.trim().toLowerCase());
}

export const DAY_TOKEN_HELP =
  "want mon..sun, 0-7, *, a range like mon-fri, the nth weekday like tue#2, or the last weekday like friL";

/** The cron a calendar `when` lowers to (no validation; see `validateSchedule`). */
export function calendarCron(at: CalendarAt, days: readonly string[] | null | undefined): string {
  if (at.date) {
    const { year, month, day } = at.date;
    return `0 ${at.minute} ${at.hour} ${day} ${month} * ${year}`;
  }
  const dow = days && days.length
    ? days.map((d) => d.trim().toLowerCase().replace(/l$/, "L")).join(",")
    : "*";
  return `0 ${at.minute} ${at.hour} * * ${dow}`;
}

/** protocol.md §6.2.2 conversion table. Throws on an unparseable calendar `at`. */
export function lowerWhen(w: When): Lowered {
  const per = (p: unknown) => (typeof p === "object" && p ? (p as { every: string }).every : null);
  if ("per_pc" in w) return { cron: POLL_CRON, mode: "once_per_pc", cooldown: per(w.per_pc) };
  if ("per_target" in w) {
    return { cron: POLL_CRON, mode: "once_per_target", cooldown: per(w.per_target) };
  }
  if ("calendar" in w) {
    const at = parseCalendarAt(w.calendar.at);
    if (!at) throw new Error(`when.at: unparseable '${w.calendar.at}'`);
    return { cron: calendarCron(at, w.calendar.days), mode: "every_tick", cooldown: null };
  }
  return { cron: null, mode: "event", cooldown: null };
}

/** Engine terms of either shape: the cron, dedup mode, cooldown and auto-disable flag. */
export interface EngineTerms extends Lowered {
  autoDisable: boolean;
  tz: Tz;
}

export function engineTerms(s: Schedule): EngineTerms {
  if (isWhenShape(s)) {
    // Post-#418 the policy dropped auto-disable; `tz` is honoured.
    return { ...lowerWhen(s.when), autoDisable: false, tz: s.tz === "utc" ? "utc" : "local" };
  }
  // Core evaluated legacy crons in UTC (tokio-cron-scheduler's default).
  return {
    cron: s.cron,
    mode: (MODES as readonly string[]).includes(s.mode) ? s.mode as Mode : "every_tick",
    cooldown: s.cooldown ?? null,
    autoDisable: s.auto_disable_when_done,
    tz: "utc",
  };
}

/** Human display of the schedule's trigger (the `when` column of `/upcoming`). */
export function whenDisplay(s: Schedule): string {
  if (!isWhenShape(s)) return s.cron;
  const w = s.when;
  const per = (p: unknown) => typeof p === "string" ? p : `every ${(p as { every: string }).every}`;
  if ("per_pc" in w) return `per_pc ${per(w.per_pc)}`;
  if ("per_target" in w) return `per_target ${per(w.per_target)}`;
  if ("calendar" in w) {
    const days = w.calendar.days?.length ? ` ${w.calendar.days.join(",")}` : "";
    return `calendar ${w.calendar.at}${days}`;
  }
  return `on ${w.on.join(",")}`;
}
