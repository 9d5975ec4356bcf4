/**
 * `Schedule` (KV `schedules`, key = id; protocol.md §6.2) in both shapes that exist in the
 * target range: the legacy cron shape (`cron`/`mode`/`cooldown`/`auto_disable_when_done`)
 * and the #418 `when:` shape. Readers accept both and keep the shape as written; ordered
 * encoders reproduce upstream's bytes; `validateSchedule()` is the create-time gate with
 * upstream's messages; `lowerWhen()` turns `when:` into the engine's cron/mode/cooldown.
 * The FanoutPlan fields are flattened in (imported from `fanout.ts`).
 */
import { z } from "zod";
import { Cron } from "croner";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import {
  encodeRollout,
  encodeTarget,
  type FanoutPlan,
  fanoutPlanShape,
  RolloutSchema,
  TargetSchema,
} from "./fanout.ts";
import { durationError, parseDurationNanos } from "./duration.ts";
import { parseInstant, wireTs } from "./time.ts";
import { formatIssues } from "./zod_issues.ts";

// ---------------------------------------------------------------- schemas

export type Tz = "local" | "utc";
export type Mode = "every_tick" | "once_per_pc" | "once_per_target";
export const MODES = ["every_tick", "once_per_pc", "once_per_target"] as const;

/** `P` of `per_pc` / `per_target`: `"once"` or `{every}` (latest-only `once_per_version` tolerated). */
function perSpec(strict: boolean) {
  const every = strict ? z.strictObject({ every: z.string() }) : z.object({ every: z.string() });
  return z.union([z.literal("once"), z.literal("once_per_version"), every]);
}

const dayToken = z.union([z.string(), z.number().int().transform(String)]);

/** Said when `when:` fits none of its shapes (zod would only say "invalid input"). */
const WHEN_SHAPES =
  "must be exactly one of per_pc: once|{every}, per_target: once|{every}, calendar: {at, days?}, on: [...]";

function whenSchema(strict: boolean) {
  const obj = strict ? z.strictObject : z.object;
  return z.union([
    obj({ per_pc: perSpec(strict) }),
    obj({ per_target: perSpec(strict) }),
    obj({
      // `days: [0, 6]` in YAML are integers; day numbers are accepted and kept as text.
      calendar: obj({ at: z.string(), days: z.array(dayToken).nullish() }),
    }),
    obj({ on: z.array(z.string()) }),
  ], { error: WHEN_SHAPES });
}

function commonShape(strict: boolean) {
  const obj = strict ? z.strictObject : z.object;
  const target = strict
    ? z.strictObject({
      groups: z.array(z.string()).optional(),
      pcs: z.array(z.string()).optional(),
      all: z.boolean().optional(),
    }).nullish().transform((v) => TargetSchema.parse(v ?? {}))
    : fanoutPlanShape.target;
  const rollout = strict
    ? obj({
      strategy: z.literal("wave").optional(),
      waves: z.array(obj({ group: z.string(), delay: z.string() })),
      max_failures: RolloutSchema.shape.max_failures,
    }).nullish().transform((v) => (v ? RolloutSchema.parse(v) : v))
    : fanoutPlanShape.rollout;
  return {
    id: z.string(),
    job_id: z.string(),
    target,
    rollout,
    jitter: z.string().nullish(),
    deadline_at: fanoutPlanShape.deadline_at,
    starting_deadline: z.string().nullish(),
    runs_on: strict
      ? z.enum(["backend", "agent"]).default("backend")
      : z.string().default("backend"),
    enabled: z.boolean().default(true),
  };
}

function whenScheduleSchema(strict: boolean) {
  const obj = strict ? z.strictObject : z.object;
  return obj({
    ...commonShape(strict),
    when: whenSchema(strict),
    active: obj({ from: z.string().nullish(), until: z.string().nullish() }).nullish(),
    constraints: obj({
      window: z.string().nullish(),
      max_concurrent: z.number().int().nonnegative().nullish(),
      skip_dates: z.array(z.string()).nullish(),
      require: obj({
        ac_power: z.boolean().nullish(),
        idle: z.string().nullish(),
        cpu_below: z.number().nullish(),
        network: z.boolean().nullish(),
      }).nullish(),
    }).nullish(),
    on_failure: obj({
      retry: obj({ max: z.number().int().nonnegative(), backoff: z.string() }).nullish(),
    }).nullish(),
    tz: strict ? z.enum(["local", "utc"]).default("local") : z.string().default("local"),
    tags: z.array(z.string()).nullish(),
    origin: obj({
      path: z.string(),
      repo: z.string().nullish(),
      script_file: z.string().nullish(),
    }).nullish(),
  });
}

function cronScheduleSchema(strict: boolean) {
  const obj = strict ? z.strictObject : z.object;
  return obj({
    ...commonShape(strict),
    cron: z.string(),
    mode: strict ? z.enum(MODES).default("every_tick") : z.string().default("every_tick"),
    cooldown: z.string().nullish(),
    auto_disable_when_done: z.boolean().default(false),
  });
}

/** Tolerant readers (KV values): unknown keys ignored. */
export const WhenScheduleSchema = whenScheduleSchema(false);
export const CronScheduleSchema = cronScheduleSchema(false);
/** Create-boundary schemas (POST /api/schedules): unknown keys rejected. */
export const WhenScheduleInputSchema = whenScheduleSchema(true);
export const CronScheduleInputSchema = cronScheduleSchema(true);
/** The input as one schema (JSON Schema for the SPA editor). */
export const ScheduleInputSchema = z.union([WhenScheduleInputSchema, CronScheduleInputSchema]);

export type WhenSchedule = z.infer<typeof WhenScheduleSchema>;
export type CronSchedule = z.infer<typeof CronScheduleSchema>;
export type Schedule = WhenSchedule | CronSchedule;
export type When = WhenSchedule["when"];
export type Active = NonNullable<WhenSchedule["active"]>;
export type Constraints = NonNullable<WhenSchedule["constraints"]>;
export type OnFailure = NonNullable<WhenSchedule["on_failure"]>;

export function isWhenShape(s: Schedule): s is WhenSchedule {
  return "when" in s && s.when !== undefined;
}

/** The FanoutPlan flattened inside a schedule. */
export function planOf(s: Schedule): FanoutPlan {
  return {
    target: s.target,
    rollout: s.rollout ?? null,
    jitter: s.jitter ?? null,
    deadline_at: s.deadline_at ?? null,
  };
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Decode a stored value, either shape (a `when` key selects the #418 shape, otherwise the
 * legacy `cron` shape). Null when it is neither: the engine logs and skips it.
 */
export function decodeSchedule(value: unknown): Schedule | null {
  if (!isMapping(value)) return null;
  const r = "when" in value
    ? WhenScheduleSchema.safeParse(value)
    : CronScheduleSchema.safeParse(value);
  return r.success ? r.data as Schedule : null;
}

/**
 * Create-boundary parse: the shape is chosen by the presence of `when`; keys are strict
 * (a `when` schedule with a top-level `cron` is refused, as upstream's parser does).
 */
export function parseScheduleInput(value: unknown): ParseResult<Schedule> {
  if (!isMapping(value)) {
    return { ok: false, error: "schedule must be a mapping (JSON object / YAML map)" };
  }
  if ("when" in value && "cron" in value) {
    return {
      ok: false,
      error: "a schedule has either `when` (current shape) or `cron` (legacy shape), not both",
    };
  }
  if (!("when" in value) && !("cron" in value)) {
    return { ok: false, error: "schedule needs `when` (or the legacy `cron`)" };
  }
  const r = "when" in value
    ? WhenScheduleInputSchema.safeParse(value)
    : CronScheduleInputSchema.safeParse(value);
  if (!r.success) return { ok: false, error: formatIssues(r.error) };
  return { ok: true, value: r.data as Schedule };
}

// ---------------------------------------------------------------- encoders

const encodePer = (v: unknown) =>
  typeof v === "string" ? v : { every: (v as { every: string }).every };

export function encodeWhen(w: When): Record<string, unknown> {
  if ("per_pc" in w) return { per_pc: encodePer(w.per_pc) };
  if ("per_target" in w) return { per_target: encodePer(w.per_target) };
  if ("calendar" in w) {
    return {
      calendar: encodeOrdered([["at", "req"], ["days", "omitEmpty"]], w.calendar),
    };
  }
  return { on: [...w.on] };
}

const ACTIVE_FIELDS: readonly FieldSpec[] = [["from", "omit"], ["until", "omit"]];
const REQUIRE_FIELDS: readonly FieldSpec[] = [
  ["ac_power", "omitEmpty"],
  ["idle", "omit"],
  ["cpu_below", "omit"],
  ["network", "omitEmpty"],
];
const CONSTRAINT_FIELDS: readonly FieldSpec[] = [
  ["window", "omit"],
  ["max_concurrent", "omit"],
  ["skip_dates", "omitEmpty"],
  ["require", "omit"],
];

function nonEmptyOrNull(o: Record<string, unknown>): Record<string, unknown> | null {
  return Object.keys(o).length ? o : null;
}

function encodeActive(a: Active | null | undefined) {
  return a ? nonEmptyOrNull(encodeOrdered(ACTIVE_FIELDS, a)) : null;
}

function encodeConstraints(c: Constraints | null | undefined) {
  if (!c) return null;
  const req = c.require ? nonEmptyOrNull(encodeOrdered(REQUIRE_FIELDS, c.require)) : null;
  return nonEmptyOrNull(encodeOrdered(CONSTRAINT_FIELDS, { ...c, require: req }));
}

function encodeOnFailure(o: OnFailure | null | undefined) {
  if (!o?.retry) return null;
  return { retry: { max: o.retry.max, backoff: o.retry.backoff } };
}

const PLAN_FIELDS: readonly FieldSpec[] = [
  ["target", "req", encodeTarget],
  ["rollout", "omit", encodeRollout],
  ["jitter", "omit"],
  ["deadline_at", "omit", (v) => wireTs(v as string)],
];

const WHEN_SCHEDULE_FIELDS: readonly FieldSpec[] = [
  ["id", "req"],
  ["when", "req", (v) => encodeWhen(v as When)],
  ["job_id", "req"],
  ...PLAN_FIELDS,
  ["active", "omit"],
  ["constraints", "omit"],
  ["on_failure", "omit"],
  ["tz", "req"],
  ["starting_deadline", "omit"],
  ["runs_on", "req"],
  ["enabled", "req"],
  ["tags", "omitEmpty"],
  [
    "origin",
    "omit",
    (v) => encodeOrdered([["path", "req"], ["repo", "omit"], ["script_file", "omit"]], v as never),
  ],
];

const CRON_SCHEDULE_FIELDS: readonly FieldSpec[] = [
  ["id", "req"],
  ["cron", "req"],
  ["job_id", "req"],
  ...PLAN_FIELDS,
  ["mode", "req"],
  ["cooldown", "omit"],
  ["auto_disable_when_done", "req"],
  ["starting_deadline", "omit"],
  ["runs_on", "req"],
  ["enabled", "req"],
];

/** Ordered JSON object of a schedule in the shape it was written. */
export function encodeSchedule(s: Schedule): Record<string, unknown> {
  if (isWhenShape(s)) {
    return encodeOrdered(WHEN_SCHEDULE_FIELDS, {
      ...s,
      tz: s.tz ?? "local",
      runs_on: s.runs_on ?? "backend",
      enabled: s.enabled ?? true,
      active: encodeActive(s.active),
      constraints: encodeConstraints(s.constraints),
      on_failure: encodeOnFailure(s.on_failure),
    });
  }
  return encodeOrdered(CRON_SCHEDULE_FIELDS, {
    ...s,
    mode: s.mode ?? "every_tick",
    auto_disable_when_done: s.auto_disable_when_done ?? false,
    runs_on: s.runs_on ?? "backend",
    enabled: s.enabled ?? true,
  });
}

export function scheduleJson(s: Schedule): string {
  return JSON.stringify(encodeSchedule(s));
}

// ---------------------------------------------------------------- `when:` lowering

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

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
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

// ---------------------------------------------------------------- cron (croner)

/** The engine's cron options: seconds required, year optional, DOM and DOW both honoured. */
export function cronOptions(tz: Tz) {
  return {
    paused: true,
    mode: "6-or-7-parts" as const,
    domAndDow: true,
    ...(tz === "utc" ? { timezone: "UTC" } : {}),
  };
}

export function makeCron(expr: string, tz: Tz): Cron {
  return new Cron(expr, cronOptions(tz));
}

/** The croner parse error of a cron expression, or null. */
export function cronError(expr: string): string | null {
  try {
    makeCron(expr, "utc").stop();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

// ---------------------------------------------------------------- dates, bounds, windows

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

// ---------------------------------------------------------------- validate (§6.2.2)

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

/** JSON Schema of the create-boundary schedule (feeds the SPA's YAML editor). */
export function scheduleJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScheduleInputSchema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
}

export { DAY_NAMES };
