/**
 * `FanoutPlan`, `Target`, `Rollout`, `Wave` (protocol.md §6.1.6): the body of
 * `POST /api/exec/{job_id}`, also flattened into a `Schedule`. Readers are tolerant
 * (unknown keys ignored, as upstream's plain serde structs); durations are checked by the
 * exec pipeline so its 400 messages match upstream. Extension beyond upstream:
 * `rollout.max_failures` (a count, or a percent string such as `"10%"`).
 */
import { z } from "zod";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { isRfc3339, wireTs } from "./time.ts";

export const WaveSchema = z.object({
  group: z.string(),
  delay: z.string(),
});
export type Wave = z.infer<typeof WaveSchema>;

const PERCENT_RE = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/** A failure budget: an absolute count, or a share of the targets (`"10%"`). */
export const MaxFailuresSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(PERCENT_RE, 'must be a count or a percent such as "10%"').refine(
    (s) => Number(PERCENT_RE.exec(s)?.[1]) <= 100,
    "percent must be between 0% and 100%",
  ),
]);
export type MaxFailures = z.infer<typeof MaxFailuresSchema>;

export const RolloutSchema = z.object({
  // "wave" is the only strategy upstream knows; readers keep whatever is stored.
  strategy: z.string().default("wave"),
  waves: z.array(WaveSchema),
  max_failures: MaxFailuresSchema.nullish(),
});
export type Rollout = z.infer<typeof RolloutSchema>;

export const TargetSchema = z.object({
  groups: z.array(z.string()).nullish().transform((v) => v ?? []),
  pcs: z.array(z.string()).nullish().transform((v) => v ?? []),
  all: z.boolean().nullish().transform((v) => v ?? false),
});
export type Target = z.infer<typeof TargetSchema>;

export const EMPTY_TARGET: Target = { groups: [], pcs: [], all: false };

/** The FanoutPlan keys, reusable by the Schedule schema that flattens them. */
export const fanoutPlanShape = {
  target: TargetSchema.nullish().transform((v) => v ?? { ...EMPTY_TARGET }),
  rollout: RolloutSchema.nullish(),
  jitter: z.string().nullish(),
  deadline_at: z.string().refine(isRfc3339, "must be an RFC 3339 timestamp").nullish(),
};

export const FanoutPlanSchema = z.object(fanoutPlanShape);
export type FanoutPlan = z.infer<typeof FanoutPlanSchema>;

/** Where a target fans out to: the fleet-wide subject and the per-group and per-PC ones. */
export interface FanoutSubjects {
  all: string;
  group: (group: string) => string;
  pc: (pcId: string) => string;
}

/** The subjects a target is published to: all, then each group, then each PC; no repeats. */
export function targetSubjects(t: Target, to: FanoutSubjects): string[] {
  const out: string[] = [];
  if (t.all) out.push(to.all);
  for (const g of t.groups) out.push(to.group(g));
  for (const p of t.pcs) out.push(to.pc(p));
  return [...new Set(out)];
}

/** `Target::is_specified`: `all`, or a non-empty list. */
export function isTargetSpecified(t: Target): boolean {
  return t.all || t.groups.length > 0 || t.pcs.length > 0;
}

/** True when the plan takes the wave path (a rollout with at least one wave). */
export function hasWaves(plan: FanoutPlan): boolean {
  return (plan.rollout?.waves.length ?? 0) > 0;
}

/**
 * Failures allowed before later waves stop. `total` is the number of targets of the
 * waves already published; a percent is taken of it (floored). null = no budget.
 */
export function failureBudget(max: MaxFailures | null | undefined, total: number): number | null {
  if (max === null || max === undefined) return null;
  if (typeof max === "number") return max;
  const pct = Number(PERCENT_RE.exec(max)?.[1] ?? "NaN");
  if (!Number.isFinite(pct)) return null;
  return Math.floor((pct / 100) * total);
}

/** Later waves stop when the failures so far exceed the budget. */
export function budgetExceeded(
  max: MaxFailures | null | undefined,
  failures: number,
  total: number,
): boolean {
  const budget = failureBudget(max, total);
  return budget !== null && failures > budget;
}

export const WAVE_FIELDS: readonly FieldSpec[] = [["group", "req"], ["delay", "req"]];
export const TARGET_FIELDS: readonly FieldSpec[] = [
  ["groups", "req"],
  ["pcs", "req"],
  ["all", "req"],
];
export const ROLLOUT_FIELDS: readonly FieldSpec[] = [
  ["strategy", "req"],
  [
    "waves",
    "req",
    (v) => (v as Wave[]).map((w) => encodeOrdered(WAVE_FIELDS, w as Record<string, unknown>)),
  ],
  ["max_failures", "omit"],
];

export const encodeTarget = (v: unknown) =>
  encodeOrdered(TARGET_FIELDS, { ...EMPTY_TARGET, ...(v as object) });
export const encodeRollout = (v: unknown) =>
  encodeOrdered(ROLLOUT_FIELDS, { strategy: "wave", ...(v as object) });

export const FANOUT_PLAN_FIELDS: readonly FieldSpec[] = [
  ["target", "req", encodeTarget],
  ["rollout", "omit", encodeRollout],
  ["jitter", "omit"],
  ["deadline_at", "omit", (v) => wireTs(v as string)],
];

export function encodeFanoutPlan(p: Partial<FanoutPlan>): Record<string, unknown> {
  return encodeOrdered(FANOUT_PLAN_FIELDS, { target: EMPTY_TARGET, ...p } as Record<
    string,
    unknown
  >);
}
