/** Ordered encoders of a `Schedule` in the shape it was written: upstream's bytes. */
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { encodeRollout, encodeTarget } from "./fanout.ts";
import { wireTs } from "./time.ts";
import {
  type Active,
  type Constraints,
  isWhenShape,
  type OnFailure,
  type Schedule,
  type When,
} from "./schedule.ts";

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
