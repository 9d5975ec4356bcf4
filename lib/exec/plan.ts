/**
 * What a FanoutPlan means before anything is published: whether its values can be subject
 * tokens, the subjects of the plain path, and the PCs it expects (`target_count`). Shared by
 * the exec pipeline (dispatch.ts), its route and the schedule service's validation.
 */
import type { Deps } from "../deps.ts";
import { type FanoutPlan, hasWaves, type Target, targetSubjects } from "../../wire/fanout.ts";
import { isSubjectToken, SUBJECT, subjects as subj } from "../../wire/names.ts";
import { countAlivePcs } from "./targets.ts";

export const NO_TARGET_MESSAGE =
  "target must specify at least one of `all` / `groups` / `pcs` (or set `rollout.waves`)";

/** Every value that becomes a subject token must be one (else 400, never a broken subject). */
export function checkTokens(plan: FanoutPlan): string | null {
  const bad = (what: string, list: readonly string[]) => {
    const i = list.findIndex((v) => !isSubjectToken(v));
    return i < 0
      ? null
      : `${what}[${i}]: '${list[i]}' is not a valid subject token (no spaces, dots, '*' or '>')`;
  };
  return bad("target.groups", plan.target.groups) ?? bad("target.pcs", plan.target.pcs) ??
    bad("rollout.waves.group", plan.rollout?.waves.map((w) => w.group) ?? []);
}

/** Subjects of the plain (non-wave) path, de-duplicated in publish order. */
export function plainSubjects(t: Target): string[] {
  return targetSubjects(t, {
    all: SUBJECT.commandsAll,
    group: subj.commandsGroup,
    pc: subj.commandsPc,
  });
}

/** The target whose alive members `target_count` counts (waves: the union of wave groups). */
export function expectedTarget(plan: FanoutPlan): Target {
  if (hasWaves(plan)) {
    return { groups: plan.rollout!.waves.map((w) => w.group), pcs: [], all: false };
  }
  return plan.target;
}

export function fallbackSubjectCount(plan: FanoutPlan): number {
  return hasWaves(plan)
    ? plan.rollout!.waves.length
    : Number(plan.target.all) + plan.target.groups.length + plan.target.pcs.length;
}

/**
 * `target_count` (#485): the alive PCs the plan's target resolves to, floor 1; the subject
 * count when resolution fails. Never rejects, so a caller may start it early and drop it.
 */
export async function countTarget(
  deps: Deps,
  plan: FanoutPlan,
  jobId: string,
): Promise<number> {
  try {
    const n = await countAlivePcs(deps, expectedTarget(plan));
    if (n === 0) deps.log.warn("target resolved to zero alive PCs", { job_id: jobId });
    return Math.max(1, n);
  } catch (e) {
    deps.log.warn("target resolve failed; per-subject target_count", { err: String(e) });
    return Math.max(1, fallbackSubjectCount(plan));
  }
}
