/**
 * `Schedule` (KV `schedules`, key = id; protocol.md §6.2) in both shapes that exist in the
 * target range: the legacy cron shape (`cron`/`mode`/`cooldown`/`auto_disable_when_done`)
 * and the #418 `when:` shape. Readers accept both and keep the shape as written. The
 * FanoutPlan fields are flattened in (imported from `fanout.ts`). Beside this module:
 * `schedule_encode.ts` (upstream's bytes), `schedule_when.ts` (`when:` lowered to the
 * engine's cron/mode/cooldown), `schedule_validate.ts` (the create-time gate),
 * `bounds.ts` (dates, bounds, day windows) and `cron.ts` (croner options).
 */
import { z } from "zod";
import { type FanoutPlan, fanoutPlanShape, RolloutSchema, TargetSchema } from "./fanout.ts";
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

/** JSON Schema of the create-boundary schedule (feeds the SPA's YAML editor). */
export function scheduleJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScheduleInputSchema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
}
