/**
 * One tick of one schedule (backend.md §7.1), after the engine won the tick's fire claim:
 * freeze → `when` gates → manifest at fire time → deadline/retry/cooldown → expected PCs,
 * completions and marks → `decideFire` → dispatch through the exec pipeline (actor
 * `scheduler`) → dispatch marks → auto-disable (revision-checked) when done.
 */
import type { Deps } from "../lib/deps.ts";
import { recordAudit } from "../lib/audit.ts";
import { RefusedError } from "../lib/errors.ts";
import { type KV, openKv } from "../lib/kv.ts";
import { DispatchError, dispatchExec } from "../lib/exec/dispatch.ts";
import { resolveAlivePcs } from "../lib/exec/targets.ts";
import { decodeManifest, type Manifest } from "../wire/manifest.ts";
import { type FanoutPlan, hasWaves } from "../wire/fanout.ts";
import { BUCKET } from "../wire/names.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { durationError, parseDurationMs, parseDurationSecs } from "../wire/duration.ts";
import { wireTs } from "../wire/time.ts";
import { type EngineTerms } from "../wire/schedule_when.ts";
import { isWhenShape, planOf, type Schedule } from "../wire/schedule.ts";
import {
  decideFire,
  type Decision,
  isInFlight,
  type Mark,
  markWindowSecs,
  narrowPcs,
} from "./policy.ts";
import { tickGate } from "./when.ts";
import { fireRetry, tickIds } from "./due.ts";
import { completionsFor, inFlightExecutions, lastFinishes } from "./completions.ts";
import { readPcMarks, readTargetMark, writePcMarks, writeTargetMark } from "./marks.ts";
import { freezeState, setEnabled } from "../lib/schedules/store.ts";

export interface TickContext {
  deps: Deps;
  dispatchKv: KV;
  schedulesKv: KV;
  aliveWindowSecs: number;
  /** Per-schedule cache of its PC marks; dropped whenever leadership is (re)gained. */
  markCache: Map<string, Map<string, Mark>>;
}

export interface TickInput {
  schedule: Schedule;
  terms: EngineTerms;
  /** KV revision of the schedule this registration came from (auto-disable CAS). */
  revision: number;
  tickMs: number;
}

/**
 * `retry` marks a skip caused by a store that did not answer before anything reached an
 * agent (freeze or catalog unreadable, a read of the decision failing, a dispatch that
 * failed before its publish), or a fire whose repeat sends the same Command (a flush that
 * failed with the broker connection): the engine may run the tick again while it is due.
 */
export type TickOutcome =
  | { fired: false; reason: string; retry?: boolean }
  | { fired: true; exec_id: string; pcs?: number; autoDisabled?: boolean };

type Dispatched = { state: "none" } | { state: "fired"; execId: string } | {
  state: "abandoned";
};

class DispatchFailed extends Error {
  constructor(readonly inner: unknown) {
    super(String((inner as Error)?.message ?? inner), { cause: inner });
  }
}

async function loadManifest(deps: Deps, jobId: string): Promise<Manifest | null> {
  const kv = await openKv(deps.nats, BUCKET.jobs);
  const e = await kv.get(jobId);
  if (!e || e.operation !== "PUT") return null;
  return decodeManifest(parseJsonBytes(e.value));
}

function retryOf(s: Schedule): { max: number; backoff_secs: number } | undefined | "bad" {
  if (!isWhenShape(s) || !s.on_failure?.retry) return undefined;
  const r = s.on_failure.retry;
  if (durationError(r.backoff)) return "bad";
  return { max: r.max, backoff_secs: parseDurationSecs(r.backoff) };
}

function maxConcurrentOf(s: Schedule): number | null {
  return isWhenShape(s) ? s.constraints?.max_concurrent ?? null : null;
}

export interface DedupInput {
  scheduleId: string;
  jobId: string;
  target: FanoutPlan["target"];
  mode: "once_per_pc" | "once_per_target";
  cooldownMs: number | null;
  autoDisable: boolean;
  maxConcurrent: number | null;
  nowMs: number;
}

export interface DedupDecision {
  decision: Decision;
  expected: string[];
  /** For `fire_pcs`: the eligible PCs minus those in flight, capped by max_concurrent. */
  pcs: string[];
  /** The schedule's live PC marks (cache entry; fire_pcs only). */
  marks: Map<string, Mark>;
}

/**
 * The decision part of a dedup tick (what the bench times): expected PCs, completions,
 * `decideFire`, then the in-flight narrowing of a per-PC fire.
 */
export async function decideDedup(ctx: TickContext, input: DedupInput): Promise<DedupDecision> {
  const { deps } = ctx;
  const now = input.nowMs;
  const expected = await resolveAlivePcs(deps, input.target, {
    aliveWindowSecs: ctx.aliveWindowSecs,
    now,
  });
  const completions = await completionsFor(deps.db, input.jobId, expected);
  const decision = decideFire({
    mode: input.mode,
    cooldownMs: input.cooldownMs,
    autoDisableWhenDone: input.autoDisable,
    expected,
    completions,
    nowMs: now,
  });
  let marks = ctx.markCache.get(input.scheduleId) ?? new Map<string, Mark>();
  let pcs: string[] = [];
  if (decision.action.kind === "fire_pcs") {
    if (!ctx.markCache.has(input.scheduleId)) {
      marks = await readPcMarks(ctx.dispatchKv, input.scheduleId);
      ctx.markCache.set(input.scheduleId, marks);
    }
    for (const [pc, m] of marks) if (now >= m.untilMs) marks.delete(pc);
    const marked = [...marks.keys()];
    const finishes = await lastFinishes(deps.db, input.jobId, marked);
    const inFlight = new Set(
      marked.filter((pc) => isInFlight(marks.get(pc), finishes.get(pc), now)),
    );
    pcs = narrowPcs(decision.action.pcs, inFlight, input.maxConcurrent);
  }
  return { decision, expected, pcs, marks };
}

export async function runTick(ctx: TickContext, input: TickInput): Promise<TickOutcome> {
  const { deps } = ctx;
  const { schedule: s, terms, tickMs } = input;
  const log = deps.log.child({ schedule_id: s.id, job_id: s.job_id, tick_at: wireTs(tickMs) });
  const skip = (
    reason: string,
    level: "debug" | "info" | "warn" = "debug",
    retry = false,
  ): TickOutcome => {
    log[level]("scheduler tick skipped", { reason, retry });
    return retry ? { fired: false, reason, retry } : { fired: false, reason };
  };

  const freeze = await freezeState(deps.nats, Date.now());
  if (freeze === "unreadable") return skip("fleet freeze unreadable (fails closed)", "warn", true);
  if (freeze === "frozen") return skip("fleet freeze", "info");
  const gate = tickGate(s, tickMs);
  if (gate) return skip(gate);

  let manifest: Manifest | null;
  try {
    manifest = await loadManifest(deps, s.job_id);
  } catch (e) {
    return skip(`catalog lookup failed: ${e}`, "warn", true);
  }
  if (!manifest) return skip("job not registered in catalog", "warn");

  let deadlineAt: string | undefined;
  if (s.starting_deadline) {
    if (durationError(s.starting_deadline)) return skip("invalid starting_deadline", "warn");
    deadlineAt = wireTs(tickMs + parseDurationMs(s.starting_deadline));
  }
  const retry = retryOf(s);
  if (retry === "bad") return skip("invalid on_failure.retry.backoff", "warn");
  let cooldownMs: number | null = null;
  if (terms.cooldown !== null) {
    if (durationError(terms.cooldown)) return skip("invalid cooldown", "warn");
    cooldownMs = parseDurationMs(terms.cooldown);
  }
  const plan = planOf(s);
  const timeoutSecs = durationError(manifest.execute.timeout)
    ? 0
    : parseDurationSecs(manifest.execute.timeout);
  const jitterSecs = plan.jitter && !durationError(plan.jitter)
    ? parseDurationSecs(plan.jitter)
    : 0;
  const windowMs = markWindowSecs(jitterSecs, timeoutSecs) * 1000;
  const maxConcurrent = maxConcurrentOf(s);
  const mode = terms.mode === "event" ? "every_tick" : terms.mode;

  // What this tick's dispatch did. Anything but `none` means the tick must not run again:
  // it fired, or it failed after a Command that a repeat would not reproduce may have
  // reached an agent (`abandoned`).
  let dispatched = { state: "none" } as Dispatched;
  const fire = async (p: FanoutPlan, why: string) => {
    // Fixed ids per (schedule, tick): a repeat after a publish that may have gone out sends
    // the same Command. A wave rollout keeps its record under the exec id, so it does not.
    const ids = hasWaves(p) ? undefined : await tickIds(s.id, tickMs);
    let res;
    try {
      res = await dispatchExec(deps, {
        manifest: manifest!,
        plan: p,
        actor: "scheduler",
        retry,
        deadlineAt,
        ids,
      });
    } catch (e) {
      const again = fireRetry({
        invalid: e instanceof RefusedError,
        published: e instanceof DispatchError && e.published,
        idempotent: ids !== undefined,
      });
      if (!again) dispatched = { state: "abandoned" };
      throw new DispatchFailed(e);
    }
    dispatched = { state: "fired", execId: res.exec_id };
    log.info("scheduler fired", { exec_id: res.exec_id, why, target_count: res.target_count });
    return res;
  };

  // Whole-target modes honour max_concurrent by counting their own executions in flight.
  const wholeTargetCapped = async () =>
    maxConcurrent !== null &&
    await inFlightExecutions(deps.db, manifest!.id, Date.now() - windowMs) >= maxConcurrent;

  try {
    if (mode === "every_tick") {
      if (await wholeTargetCapped()) return skip("max_concurrent reached");
      const res = await fire(plan, "every_tick");
      return { fired: true, exec_id: res.exec_id };
    }

    const now = Date.now();
    const d = await decideDedup(ctx, {
      scheduleId: s.id,
      jobId: manifest.id,
      target: plan.target,
      mode,
      cooldownMs,
      autoDisable: terms.autoDisable,
      maxConcurrent,
      nowMs: now,
    });
    const { decision, expected } = d;

    let outcome: TickOutcome = { fired: false, reason: "dedup says skip" };
    if (decision.action.kind === "fire_pcs") {
      const pcs = d.pcs;
      const marks = d.marks;
      if (pcs.length === 0) {
        outcome = { fired: false, reason: "eligible PCs still in flight" };
      } else {
        const res = await fire(
          { target: { pcs, groups: [], all: false }, rollout: null, jitter: plan.jitter ?? null },
          "once_per_pc subset",
        );
        const mark = { atMs: now, untilMs: now + windowMs };
        for (const pc of pcs) marks.set(pc, mark);
        try {
          await writePcMarks(ctx.dispatchKv, s.id, pcs, mark, res.exec_id);
        } catch (e) {
          log.warn("dispatch marks write failed", { exec_id: res.exec_id, err: String(e) });
        }
        outcome = { fired: true, exec_id: res.exec_id, pcs: pcs.length };
      }
    } else if (decision.action.kind === "fire_whole_target") {
      const tm = await readTargetMark(ctx.dispatchKv, s.id);
      const finishes = tm ? await lastFinishes(deps.db, manifest.id, expected) : new Map();
      const newest = Math.max(-Infinity, ...finishes.values());
      if (isInFlight(tm ?? undefined, Number.isFinite(newest) ? newest : undefined, now)) {
        outcome = { fired: false, reason: "previous target fire still in flight" };
      } else if (await wholeTargetCapped()) {
        outcome = { fired: false, reason: "max_concurrent reached" };
      } else {
        const res = await fire(plan, "once_per_target armed");
        try {
          await writeTargetMark(
            ctx.dispatchKv,
            s.id,
            { atMs: now, untilMs: now + windowMs },
            res.exec_id,
          );
        } catch (e) {
          log.warn("dispatch mark write failed", { exec_id: res.exec_id, err: String(e) });
        }
        outcome = { fired: true, exec_id: res.exec_id };
      }
    }
    if (!outcome.fired) {
      log.debug("scheduler tick skipped", { reason: outcome.reason, expected: expected.length });
    }

    if (decision.autoDisable) {
      const r = await setEnabled(ctx.schedulesKv, s.id, false, { expectRevision: input.revision });
      if (r.status === "changed") {
        log.info("schedule completed; auto-disabled", { mode });
        await recordAudit(deps.nats, {
          actor: "scheduler",
          action: "schedule_completed",
          target: s.id,
          payload: { mode, job_id: s.job_id },
        });
        if (outcome.fired) outcome.autoDisabled = true;
        else outcome = { fired: false, reason: "done; auto-disabled" };
      }
    }
    return outcome;
  } catch (e) {
    const msg = String((e as Error)?.message ?? e);
    if (dispatched.state === "fired") {
      // Fired; only the bookkeeping after it failed (auto-disable): the fire stands.
      log.warn("scheduler tick bookkeeping failed after the fire", { err: msg });
      return { fired: true, exec_id: dispatched.execId };
    }
    const retryable = dispatched.state === "none";
    log.warn("scheduler fire failed", { err: msg, retry: retryable });
    return retryable
      ? { fired: false, reason: `fire failed: ${msg}`, retry: true }
      : { fired: false, reason: `fire failed: ${msg}` };
  }
}
