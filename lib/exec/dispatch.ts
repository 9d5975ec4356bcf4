/**
 * The exec pipeline (backend.md §6), shared by `POST /api/exec/{job_id}` and the scheduler.
 * Fixes built in: every input is validated before any side effect; `script_current` is
 * pinned before the first publish (#258); one request_id per exec so an agent matched by
 * several subjects runs once (#913); `target_count` = alive PCs resolved (#485); the
 * executions row exists before the first Command can be answered; the `exec` record a
 * rebuilt projection recreates that row from is stored by JetStream (acked) before any
 * Command goes out, or the dispatch answers 503 with nothing published and no row;
 * delayed waves are persisted (see waves.ts) instead of sleeping in memory.
 *
 * A dispatch that fails after its `exec` record was stored records `exec_aborted` too,
 * so a replay drops the execution again instead of reviving one that never went out.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badRequest, internal, unavailable, UpstreamError } from "../errors.ts";
import { openKv } from "../kv.ts";
import { type AuditInput, publishAudit, recordAudit } from "../audit.ts";
import { drop, insertPending } from "./lifecycle.ts";
import type { Manifest } from "../../wire/manifest.ts";
import { validateScriptSource } from "../../wire/manifest_validate.ts";
import { type FanoutPlan, hasWaves, isTargetSpecified } from "../../wire/fanout.ts";
import { encodeCommand } from "../../wire/messages.ts";
import { BUCKET, subjects as subj } from "../../wire/names.ts";
import { durationError, parseDurationMs, parseDurationSecs } from "../../wire/duration.ts";
import { dbTs, isRfc3339, parseInstant, wireTs } from "../../wire/time.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { checkTokens, countTarget, NO_TARGET_MESSAGE, plainSubjects } from "./plan.ts";
import { resolveScriptObject } from "./script_source.ts";
import { cancelPendingWaves, persistWaves, processExecWaves } from "./waves.ts";
import { CommandPublishFailure, publishCommand } from "./command_publish.ts";
import { StepTimes } from "../step_times.ts";
import { isTransientDbError } from "../../db/remote.ts";
import type { WaveRecord } from "./wave_plan.ts";

export interface DispatchRequest {
  manifest: Manifest;
  plan: FanoutPlan;
  /** `operator` for HTTP callers, `scheduler` for fires. */
  actor: string;
  caller?: Caller | null;
  /** A schedule's lowered `on_failure.retry`. */
  retry?: { max: number; backoff_secs: number };
  /** Overrides `plan.deadline_at` (scheduler: tick + starting_deadline). */
  deadlineAt?: string;
  /**
   * Fixed ids instead of fresh ones (scheduler: derived from schedule and tick). A repeat
   * with the same ids publishes the same Command again, which agents drop by `request_id`,
   * and keeps the executions row of the first attempt.
   */
  ids?: { execId: string; requestId: string };
  /**
   * `target_count`, already being resolved by the caller (`countTarget`): the route starts
   * it beside its job lookup, a read that need not wait for it.
   */
  targetCount?: Promise<number>;
  /** Filled with each step's duration (the route sends them as `Server-Timing`). */
  times?: StepTimes;
}

/**
 * A dispatch whose publishing failed after its validation. `published` tells whether a
 * Command may already have reached an agent (a publish or its flush failed, a wave went
 * out), which a caller that retries must know.
 */
export class DispatchError extends UpstreamError {
  override name = "DispatchError";
  readonly published: boolean;
  constructor(message: string, published: boolean, cause?: unknown) {
    super(message, { cause });
    this.published = published;
  }
}

export const ExecResponseSchema = z.strictObject({
  exec_id: z.string(),
  job_id: z.string(),
  version: z.string(),
  target_count: z.number().int().meta({
    description: "alive PCs the target resolves to (floor 1)",
  }),
  subjects: z.array(z.string()).meta({ description: "the command subjects published to" }),
});
export type ExecResponse = z.infer<typeof ExecResponseSchema>;

async function pinScriptCurrent(deps: Deps, m: Manifest) {
  try {
    const kv = await openKv(deps.nats, BUCKET.scriptCurrent);
    await kv.put(m.id, m.version);
  } catch (e) {
    // Upstream logs and continues: the exec still goes out, agents without a pin run it.
    deps.log.warn("script_current pin failed", { job_id: m.id, err: String(e) });
  }
}

export async function dispatchExec(deps: Deps, req: DispatchRequest): Promise<ExecResponse> {
  const { manifest, plan } = req;
  const waves = hasWaves(plan);
  const times = req.times ?? new StepTimes();

  // 1. Validate everything before any side effect.
  if (!waves && !isTargetSpecified(plan.target)) throw badRequest(NO_TARGET_MESSAGE);
  const tokenErr = checkTokens(plan);
  if (tokenErr) throw badRequest(tokenErr);
  const srcErr = validateScriptSource(manifest.execute);
  if (srcErr) throw badRequest(srcErr);
  const tErr = durationError(manifest.execute.timeout);
  if (tErr) throw badRequest(`invalid timeout: ${tErr}`);
  const timeoutSecs = parseDurationSecs(manifest.execute.timeout);
  let jitterSecs: number | null = null;
  if (plan.jitter !== null && plan.jitter !== undefined) {
    const jErr = durationError(plan.jitter);
    if (jErr) throw badRequest(`invalid jitter: ${jErr}`);
    jitterSecs = parseDurationSecs(plan.jitter);
  }
  const delaysMs: number[] = [];
  if (waves) {
    plan.rollout!.waves.forEach((w, i) => {
      const e = durationError(w.delay);
      if (e) throw badRequest(`invalid rollout.waves[${i}].delay: ${e}`);
      delaysMs.push(parseDurationMs(w.delay));
    });
  }
  const deadline = req.deadlineAt ?? plan.deadline_at ?? null;
  if (deadline !== null && !isRfc3339(deadline)) {
    throw badRequest(`invalid deadline_at: '${deadline}' is not an RFC 3339 timestamp`);
  }

  // 2. Script source: inline body, or the object's digest snapshot (#210).
  const inline = manifest.execute.script ?? "";
  const object = inline === "" && manifest.execute.script_object
    ? await resolveScriptObject(deps, manifest.execute.script_object)
    : null;
  if (inline === "" && !object) {
    throw badRequest(
      "execute: one of `script` or `script_object` must be set (`script_file` is inlined by the CLI)",
    );
  }

  const execId = req.ids?.execId ?? crypto.randomUUID();
  const requestId = req.ids?.requestId ?? crypto.randomUUID();
  const command = encodeCommand({
    id: manifest.id,
    version: manifest.version,
    request_id: requestId,
    exec_id: execId,
    shell: manifest.execute.shell,
    script: object ? "" : inline,
    script_object: object?.key,
    script_object_sha256: object?.sha256,
    timeout_secs: timeoutSecs,
    jitter_secs: jitterSecs,
    run_as: manifest.execute.run_as,
    cwd: manifest.execute.cwd ?? undefined,
    deadline_at: deadline ? wireTs(deadline) : undefined,
    staleness: manifest.staleness,
    emit: manifest.emit ?? undefined,
    check: manifest.check ?? undefined,
    collect: manifest.collect ?? undefined,
    retry: req.retry,
  });
  const payload = jsonBytes(command);
  times.mark("prepare");

  // 3. Expected PCs (#485) and the version pin (#258), at once: the count is a read, and
  // the pin only has to land before anything can reach an agent. At 100,000 agents every
  // round trip waited for in sequence costs the operator 5–15 ms on a loaded box.
  const [targetCount] = await Promise.all([
    req.targetCount ?? times.span("resolve", countTarget(deps, plan, manifest.id)),
    times.span("pin", pinScriptCurrent(deps, manifest)),
  ]);

  const published = waves
    ? plan.rollout!.waves.map((w) => subj.commandsGroup(w.group))
    : plainSubjects(plan.target);

  // 4. The executions row and the durable `exec` record, both before any Command: the row
  // so no result can arrive for an unknown exec, the record so a rebuilt projection
  // recreates that row. The record is stamped with the row's initiated_at, so a replay
  // recreates it exactly, and its message id makes a repeat of the same attempt one record.
  const insertRow = async (initiatedAt: string) => {
    try {
      return await insertPending(deps.db, {
        exec_id: execId,
        job_id: manifest.id,
        version: manifest.version,
        initiated_by: req.actor,
        initiated_at: initiatedAt,
        target_count: targetCount,
      });
    } catch (e) {
      if (isTransientDbError(e)) throw e; // busy or unreachable: "retry shortly" (503)
      throw internal(`insert executions: ${(e as Error).message}`, e);
    }
  };
  const storeRecord = async (at: number) => {
    const record: AuditInput = {
      actor: req.actor,
      action: "exec",
      occurredAt: at,
      target: manifest.id,
      payload: {
        exec_id: execId,
        version: manifest.version,
        target_count: targetCount,
        subjects: published,
        wave_mode: waves,
      },
    };
    try {
      await publishAudit(deps.nats, record, req.caller, { msgId: `exec:${execId}:${at}` });
    } catch (e) {
      throw unavailable(
        `exec not recorded in JetStream, nothing was published: ${(e as Error).message}`,
        e,
      );
    }
  };
  // A fresh exec knows its initiated_at up front, so its row and record are written at once.
  // A repeat with fixed ids keeps the first attempt's row, whose initiated_at the record must
  // carry: its record waits for the row (a failed row then stores no record at all).
  let initiatedAt = dbTs(Date.now());
  const rowWrite = times.span("row", insertRow(initiatedAt));
  if (req.ids) initiatedAt = (await rowWrite).initiated_at;
  const now = parseInstant(initiatedAt).ms;
  const [row, rec] = await Promise.allSettled([
    rowWrite,
    times.span("record", storeRecord(now)),
  ]);
  // Nothing (or not all) went out: the row goes, and the stream says so for a replay.
  const abort = async (reason: string) => {
    await recordAudit(
      deps.nats,
      {
        actor: req.actor,
        action: "exec_aborted",
        occurredAt: Date.now(),
        target: manifest.id,
        payload: { exec_id: execId, initiated_at: wireTs(now), reason },
      },
      req.caller,
      { msgId: `exec_aborted:${execId}:${now}` },
    );
    await drop(deps.db, execId, initiatedAt).catch(() => {});
  };
  if (rec.status === "rejected") {
    if (row.status === "fulfilled" && row.value.inserted) {
      await drop(deps.db, execId, initiatedAt).catch(() => {});
    }
    throw rec.reason;
  }
  if (row.status === "rejected") {
    // The record is stored: a replay would recreate the row unless it is marked aborted.
    await abort("executions row not written");
    throw row.reason;
  }

  // 5. Publish.
  if (waves) {
    const rollout = plan.rollout!;
    const rec: WaveRecord = {
      exec_id: execId,
      job_id: manifest.id,
      created_at: wireTs(now),
      command,
      max_failures: rollout.max_failures ?? null,
      waves: rollout.waves.map((w, i) => ({
        index: i,
        group: w.group,
        delay: w.delay,
        due_at: wireTs(now + delaysMs[i]),
        state: "pending",
        published_at: null,
        reason: null,
      })),
    };
    try {
      await persistWaves(deps, rec);
    } catch (e) {
      await abort("rollout waves not persisted");
      throw new DispatchError(`persist rollout waves: ${(e as Error).message}`, false, e);
    }
    // Zero-delay waves go out now, through the same claim as delayed ones.
    try {
      await processExecWaves(deps, execId, now);
    } catch (e) {
      // The caller gets a 502: later waves must not go out behind its back.
      await cancelPendingWaves(deps, execId, "exec failed: first wave not published")
        .catch(() => {});
      await abort("first wave not published");
      // Whether the first wave went out is unknown here: count it as published.
      throw new DispatchError(`publish rollout wave: ${(e as Error).message}`, true, e);
    }
  } else {
    try {
      await publishCommand(deps.nats.nc, published, payload, deps.nats.timeoutMs);
    } catch (e) {
      const f = e instanceof CommandPublishFailure
        ? e
        : new CommandPublishFailure(published[0], true, String(e), e);
      // Nothing left this process: the row goes, as if the exec had not been asked for.
      if (!f.sent) await abort(`publish to ${f.subject} failed`);
      throw new DispatchError(`publish to ${f.subject}: ${f.message}`, f.sent, e);
    }
  }

  times.mark("publish");
  deps.log.info("execution published", {
    exec_id: execId,
    job_id: manifest.id,
    version: manifest.version,
    actor: req.actor,
    target_count: targetCount,
    wave_mode: waves,
    subjects: published.length,
    steps_ms: times.record(),
  });
  return {
    exec_id: execId,
    job_id: manifest.id,
    version: manifest.version,
    target_count: targetCount,
    subjects: published,
  };
}
