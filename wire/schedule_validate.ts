/** The create-time gate of a schedule (protocol.md §6.2.2), with upstream's messages. */
import { durationError, parseDurationNanos } from "./duration.ts";
import { boundsError, parseDate, parseWindow } from "./bounds.ts";
import { cronError } from "./cron.ts";
import { calendarCron, DAY_TOKEN_HELP, isDayToken, parseCalendarAt } from "./schedule_when.ts";
import { type CronSchedule, isWhenShape, MODES, type Schedule, type Tz } from "./schedule.ts";

function durErr(field: string, v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const e = durationError(v);
  return e ? `${field}: invalid duration '${v}': ${e}` : null;
}

/**
 * The create-time gate, first failure wins, in upstream's evaluation order. The legacy
 * cron shape had no validate() upstream; we still refuse what would only fail at tick time.
 */
export function validateSchedule(s: Schedule): string | null {
  if (!isWhenShape(s)) return validateCronShape(s);
  const w = s.when;
  const agent = s.runs_on === "agent";
  const tz: Tz = s.tz === "utc" ? "utc" : "local";
  // 1
  if (agent && "per_target" in w) {
    return "when.per_target needs fleet-wide completion data and is backend-only; it cannot be combined with runs_on: agent (each agent self-schedules, so per-target dedup would be deduping across a target of 1)";
  }
  // 2
  if ("on" in w) {
    if (!agent) {
      return "when.on (OS event trigger) is fired by the agent's own event source, so it requires runs_on: agent";
    }
    if (w.on.length === 0) {
      return "when.on must list at least one trigger (e.g. [startup, logon])";
    }
  }
  // 3
  for (const p of ["per_pc" in w ? w.per_pc : null, "per_target" in w ? w.per_target : null]) {
    if (p && typeof p === "object") {
      const e = durErr("when.every", p.every);
      if (e) return e;
    }
  }
  // 4
  if ("calendar" in w) {
    const at = parseCalendarAt(w.calendar.at);
    if (!at) {
      return `when.at: unparseable '${w.calendar.at}' (want HH:MM or YYYY-MM-DD HH:MM)`;
    }
    const days = w.calendar.days ?? [];
    if (at.date && days.length) {
      return "when.at with a date is a one-shot and cannot be combined with days";
    }
    for (const d of days) {
      if (!isDayToken(d)) return `when.days: invalid day token '${d}' (${DAY_TOKEN_HELP})`;
    }
    const cron = calendarCron(at, days);
    const ce = cronError(cron);
    if (ce) return `when.at lowered to invalid cron '${cron}': ${ce}`;
  }
  // 5, 6
  const de = durErr("jitter", s.jitter) ?? durErr("starting_deadline", s.starting_deadline);
  if (de) return de;
  // 7
  if (s.active) {
    const be = boundsError(s.active.from, s.active.until, tz, "active");
    if (be) return be;
  }
  const c = s.constraints;
  if (c) {
    // 8
    if (c.window !== null && c.window !== undefined) {
      const we = parseWindow(c.window);
      if (typeof we === "string") return we;
    }
    // 9
    for (const d of c.skip_dates ?? []) {
      const pd = parseDate(d);
      if (typeof pd === "string") return `constraints.skip_dates: invalid date '${d}': ${pd}`;
    }
    // 10
    if (c.max_concurrent !== null && c.max_concurrent !== undefined) {
      if (agent) {
        return "constraints.max_concurrent needs a central counter and is backend-only; it cannot be combined with runs_on: agent";
      }
      if (c.max_concurrent === 0) {
        return "constraints.max_concurrent must be >= 1 (0 would never fire; omit it for no cap)";
      }
    }
    // 11
    const r = c.require;
    if (r) {
      const nonEmpty = r.ac_power === true || r.network === true ||
        (r.idle !== null && r.idle !== undefined) ||
        (r.cpu_below !== null && r.cpu_below !== undefined);
      if (nonEmpty && !agent) {
        return "constraints.require (host-state env gates: ac_power / idle / cpu_below / network) is sensed in-process by the agent and needs runs_on: agent; a backend-fired schedule cannot see them";
      }
      const ie = durErr("constraints.require.idle", r.idle);
      if (ie) return ie;
      if (r.cpu_below !== null && r.cpu_below !== undefined) {
        if (!(r.cpu_below > 0 && r.cpu_below <= 100)) {
          return `constraints.require.cpu_below must be in (0, 100] percent (got ${r.cpu_below}); omit it for no CPU requirement`;
        }
      }
    }
  }
  // 12
  const retry = s.on_failure?.retry;
  if (retry) {
    const be = durErr("on_failure.retry.backoff", retry.backoff);
    if (be) return be;
    if (parseDurationNanos(retry.backoff) < 1_000_000_000n) {
      return `on_failure.retry.backoff must be >= 1s (got '${retry.backoff}'); sub-second backoffs round to 0 on the wire`;
    }
    if (retry.max < 1 || retry.max > 10) {
      return `on_failure.retry.max must be 1..=10 (got ${retry.max}); it counts additional attempts after the first run`;
    }
  }
  // 13
  if ((s.tags ?? []).some((t) => t.trim() === "")) return "tags must not contain empty entries";
  return null;
}

function validateCronShape(s: CronSchedule): string | null {
  const ce = cronError(s.cron);
  if (ce) return `cron: invalid cron '${s.cron}': ${ce}`;
  if (!(MODES as readonly string[]).includes(s.mode)) {
    return `mode: unknown mode '${s.mode}' (want every_tick, once_per_pc or once_per_target)`;
  }
  return durErr("cooldown", s.cooldown) ?? durErr("jitter", s.jitter) ??
    durErr("starting_deadline", s.starting_deadline);
}
