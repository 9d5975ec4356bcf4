/**
 * Domain functions behind the schedules and freeze routes (handlers stay thin). They know
 * nothing about HTTP: it throws the domain errors of lib/errors.ts.
 */
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badRequest, conflict, notFound, UnavailableError } from "../errors.ts";
import { openKv } from "../kv.ts";
import { recordAudit } from "../audit.ts";
import { setScriptStatus } from "../catalog/script_status.ts";
import { BUCKET, SCRIPT_STATUS_REVOKED } from "../../wire/names.ts";
import { checkTokens, NO_TARGET_MESSAGE } from "../exec/plan.ts";
import { hasWaves, isTargetSpecified } from "../../wire/fanout.ts";
import { durationError } from "../../wire/duration.ts";
import { wireTs } from "../../wire/time.ts";
import { encodeSchedule } from "../../wire/schedule_encode.ts";
import { engineTerms, whenDisplay } from "../../wire/schedule_when.ts";
import { isWhenShape, parseScheduleInput, planOf, type Schedule } from "../../wire/schedule.ts";
import { makeCron } from "../../wire/cron.ts";
import { parseBound } from "../../wire/bounds.ts";
import { validateSchedule } from "../../wire/schedule_validate.ts";
import {
  encodeFreeze,
  type Freeze,
  FreezeSchema,
  isFrozen,
  validateFreeze,
} from "../../wire/freeze.ts";
import {
  clearFreeze,
  deleteSchedule,
  listSchedules,
  putFreeze,
  putSchedule,
  readFreezeValue,
  readScheduleYaml,
  scheduleIdError,
  setEnabled,
} from "./store.ts";

/**
 * A backend-fired schedule whose plan the exec pipeline would refuse at every tick is
 * refused now, with the pipeline's own message (beyond upstream's validate(), on purpose).
 */
function planError(s: Schedule): string | null {
  if (s.runs_on !== "backend") return null;
  const plan = planOf(s);
  if (!hasWaves(plan) && !isTargetSpecified(plan.target)) return NO_TARGET_MESSAGE;
  const bad = (plan.rollout?.waves ?? []).findIndex((w) => durationError(w.delay) !== null);
  if (bad >= 0) {
    return `invalid rollout.waves[${bad}].delay: ${durationError(plan.rollout!.waves[bad].delay)}`;
  }
  return checkTokens(plan);
}

/** POST /api/schedules: strict parse, validate(), job must exist, put + YAML mirror, audit. */
export async function upsertSchedule(
  deps: Deps,
  doc: { value: unknown; raw: string; yaml: boolean },
  caller?: Caller | null,
) {
  const parsed = parseScheduleInput(doc.value);
  if (!parsed.ok) throw badRequest(parsed.error);
  const s = parsed.value;
  const idErr = scheduleIdError(s.id);
  if (idErr) throw badRequest(idErr);
  const err = validateSchedule(s) ?? planError(s);
  if (err) throw badRequest(err);
  const jobs = await openKv(deps.nats, BUCKET.jobs);
  const job = await jobs.get(s.job_id).catch((e) => {
    if (e instanceof UnavailableError) throw e; // the broker, not the job, is missing
    return null;
  });
  if (!job || job.operation !== "PUT") {
    throw badRequest(
      `job_id '${s.job_id}' is not in the job catalog (register it with POST /api/jobs first)`,
    );
  }
  await putSchedule(deps.nats, s, doc.yaml ? doc.raw : undefined);
  const terms = engineTerms(s);
  const trigger = isWhenShape(s) ? { when: encodeSchedule(s).when } : { cron: s.cron };
  await recordAudit(deps.nats, {
    action: "schedule_upsert",
    target: s.id,
    payload: { ...trigger, job_id: s.job_id, enabled: s.enabled },
  }, caller);
  return { id: s.id, ...trigger, cron: terms.cron, enabled: s.enabled, job_id: s.job_id };
}

/** A path id that cannot be a KV key is a 400, never a broker error. */
function checkId(id: string) {
  const e = scheduleIdError(id);
  if (e) throw badRequest(e);
}

export async function listAll(deps: Deps) {
  return (await listSchedules(deps.nats)).map((x) => encodeSchedule(x.schedule));
}

export async function scheduleYaml(deps: Deps, id: string): Promise<string> {
  checkId(id);
  const y = await readScheduleYaml(deps.nats, id);
  if (y === null) throw notFound(`schedule '${id}' not found`);
  return y;
}

export async function removeSchedule(deps: Deps, id: string, caller?: Caller | null) {
  checkId(id);
  await deleteSchedule(deps.nats, id);
  await recordAudit(deps.nats, { action: "schedule_delete", target: id, payload: {} }, caller);
}

export async function enableSchedule(deps: Deps, id: string, caller?: Caller | null) {
  checkId(id);
  const kv = await openKv(deps.nats, BUCKET.schedules);
  const r = await setEnabled(kv, id, true);
  if (r.status === "missing") throw notFound(`schedule '${id}' not found`);
  if (r.status === "stale") throw conflict(`schedule '${id}' changed concurrently; retry`);
  await recordAudit(deps.nats, {
    action: "schedule_enable",
    target: id,
    payload: { job_id: r.schedule.job_id, changed: r.status === "changed" },
  }, caller);
}

export async function disableSchedule(
  deps: Deps,
  id: string,
  cascade: boolean,
  caller?: Caller | null,
) {
  checkId(id);
  const kv = await openKv(deps.nats, BUCKET.schedules);
  const r = await setEnabled(kv, id, false);
  if (r.status === "missing") throw notFound(`schedule '${id}' not found`);
  if (r.status === "stale") throw conflict(`schedule '${id}' changed concurrently; retry`);
  if (cascade) await setScriptStatus(deps, r.schedule.job_id, SCRIPT_STATUS_REVOKED, caller);
  await recordAudit(deps.nats, {
    action: "schedule_disable",
    target: id,
    payload: { cascade, job_id: r.schedule.job_id, changed: r.status === "changed" },
  }, caller);
}

/** The next time the schedule's cron fires inside its `active` window, or null. */
export function nextRun(s: Schedule, nowMs: number): number | null {
  const terms = engineTerms(s);
  if (terms.cron === null) return null;
  let from = nowMs;
  let until: number | null = null;
  if (isWhenShape(s) && s.active) {
    const b = (v: string | null | undefined) => {
      if (!v) return null;
      const r = parseBound(v, terms.tz);
      return "ms" in r ? r.ms : null;
    };
    const f = b(s.active.from);
    until = b(s.active.until);
    if (f !== null && f > from) from = f - 1;
  }
  try {
    const cron = makeCron(terms.cron, terms.tz);
    const n = cron.nextRun(new Date(from))?.getTime() ?? null;
    cron.stop();
    if (n === null || (until !== null && n >= until)) return null;
    return n;
  } catch {
    return null;
  }
}

/** GET /api/schedules/upcoming: enabled schedules by next run, soonest first. */
export async function upcoming(deps: Deps, limit: number, nowMs = Date.now()) {
  const rows: { id: string; job_id: string; when: string; next_run: string; at: number }[] = [];
  for (const { schedule: s } of await listSchedules(deps.nats)) {
    if (!s.enabled) continue;
    const n = nextRun(s, nowMs);
    if (n === null) continue;
    rows.push({ id: s.id, job_id: s.job_id, when: whenDisplay(s), next_run: wireTs(n), at: n });
  }
  rows.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  return rows.slice(0, limit).map(({ at: _at, ...r }) => r);
}

// ---------------------------------------------------------------- freeze

export async function getFreeze(deps: Deps, nowMs = Date.now()) {
  const f = await readFreezeValue(deps.nats);
  if (f === null) return { frozen: false, freeze: null };
  const frozen = isFrozen(f.value, nowMs);
  const parsed = FreezeSchema.safeParse(f.value);
  return { frozen, freeze: parsed.success ? encodeFreeze(parsed.data) : f.value };
}

/** `f` is the parsed PUT body (FreezeInputSchema, checked at the route edge). */
export async function setFreeze(deps: Deps, f: Freeze, caller?: Caller | null) {
  const err = validateFreeze(f);
  if (err) throw badRequest(err);
  const stored = await putFreeze(deps.nats, f);
  await recordAudit(deps.nats, { action: "freeze_set", target: null, payload: stored }, caller);
  return { frozen: isFrozen(stored, Date.now()), freeze: stored };
}

export async function deleteFreeze(deps: Deps, caller?: Caller | null) {
  await clearFreeze(deps.nats);
  await recordAudit(deps.nats, { action: "freeze_clear", target: null, payload: {} }, caller);
}
