/**
 * Rollout waves that wait for their delay. Upstream slept in a task inside the API process,
 * so a restart lost the wave. Here each exec's waves live in KV `pending_waves` (key =
 * exec_id) with their due time; every API process watches the bucket, arms one timer for
 * the earliest due wave, and claims a wave with a revision-checked update before
 * publishing it — so each wave is published exactly once, after a restart and with several
 * API processes. `rollout.max_failures` is checked before each later wave.
 */
import type { Deps } from "../deps.ts";
import { type Component, component } from "../component.ts";
import { BUCKET, subjects } from "../../wire/names.ts";
import { jsonBytes, parseJsonBytes } from "../../wire/codec.ts";
import { nowWire } from "../../wire/time.ts";
import { budgetExceeded, type MaxFailures } from "../../wire/fanout.ts";
import { firstRow } from "../../db/client.ts";
import { UnavailableError } from "../errors.ts";
import { pause, withTimeout } from "../../util/retry.ts";
import { publishCommand } from "./command_publish.ts";
import { DELETE, type KvEntry, kvSnapshot, kvSwap, openKv, openKvOrNull } from "../kv.ts";
import {
  dueWaves,
  isPrunable,
  isSettled,
  nextDue,
  type WaveRecord,
  WaveRecordSchema,
  type WaveState,
  withWaveState,
} from "./wave_plan.ts";

export type { WaveRecord, WaveState } from "./wave_plan.ts";

/** Longest a dispatcher sleeps without re-checking (covers clock jumps and lost watches). */
const MAX_SLEEP_MS = 15_000;

function decodeRecord(e: KvEntry): WaveRecord | null {
  if (e.operation !== "PUT") return null;
  try {
    const r = WaveRecordSchema.safeParse(parseJsonBytes(e.value));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Each wave's state for `GET /api/executions/{exec_id}`; `[]` for a plain exec. */
export async function wavesOf(deps: Deps, execId: string): Promise<WaveState[]> {
  const kv = await openKvOrNull(deps.nats, BUCKET.pendingWaves);
  if (!kv) return [];
  let e: KvEntry | null;
  try {
    e = await kv.get(execId);
  } catch (err) {
    if (err instanceof UnavailableError) throw err; // the broker, not the record, is missing
    return []; // an exec id that is not a valid KV key has no waves
  }
  const rec = e ? decodeRecord(e) : null;
  return rec ? rec.waves.map((w) => ({ ...w })) : [];
}

/** Store a new exec's waves (all pending). Fails if the exec already has a record. */
export async function persistWaves(deps: Deps, rec: WaveRecord): Promise<void> {
  const kv = await openKv(deps.nats, BUCKET.pendingWaves);
  await kv.create(rec.exec_id, jsonBytes(rec));
}

/** Failures so far and PCs heard from, for the `max_failures` budget. */
async function failureStats(deps: Deps, execId: string) {
  const row = firstRow<{ failures: number | null; total: number | null }>(
    await deps.db.execute({
      sql: `SELECT
              SUM(CASE WHEN finished_at IS NOT NULL AND exit_code IS NOT NULL AND exit_code != 0
                  THEN 1 ELSE 0 END) AS failures,
              COUNT(DISTINCT pc_id) AS total
            FROM execution_results WHERE exec_id = ?`,
      args: [execId],
    }),
  );
  return { failures: Number(row?.failures ?? 0), total: Number(row?.total ?? 0) };
}

export interface WaveOutcome {
  index: number;
  group: string;
  state: "published" | "skipped";
}

/**
 * Publish (or skip) every due wave of one exec. Each transition is claimed with a
 * revision-checked update first; a lost race re-reads and moves on. Returns what this
 * call did. A publish failure reverts the claim and throws.
 */
export async function processExecWaves(
  deps: Deps,
  execId: string,
  nowMs = Date.now(),
): Promise<WaveOutcome[]> {
  const kv = await openKv(deps.nats, BUCKET.pendingWaves);
  const done: WaveOutcome[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    const entry = await kv.get(execId);
    if (!entry) return done;
    const rec = decodeRecord(entry);
    if (!rec) return done;
    const due = dueWaves(rec, nowMs);
    if (due.length === 0) return done;
    const wave = due[0];
    const earlierPublished = rec.waves.some((w) =>
      w.index < wave.index && (w.state === "published" || w.state === "publishing")
    );
    let skipReason: string | null = null;
    if (earlierPublished && rec.max_failures !== null && rec.max_failures !== undefined) {
      const { failures, total } = await failureStats(deps, execId);
      if (budgetExceeded(rec.max_failures as MaxFailures, failures, total)) {
        skipReason =
          `max_failures (${rec.max_failures}) exceeded: ${failures} failure(s) of ${total} PC(s)`;
      }
    }
    const at = nowWire();
    // Two phases: claim (`publishing`), publish, confirm (`published`). A crash between
    // claim and confirm leaves a claim that goes stale and is re-published by anyone.
    const next = skipReason
      ? withWaveState(rec, wave.index, "skipped", null, skipReason)
      : withWaveState(rec, wave.index, "publishing", at);
    const revision = await kvSwap(kv, execId, jsonBytes(next), entry.revision);
    if (revision === null) continue; // another process claimed it; re-read
    if (skipReason) {
      deps.log.warn("rollout wave skipped", {
        exec_id: execId,
        wave: wave.index,
        reason: skipReason,
      });
      done.push({ index: wave.index, group: wave.group, state: "skipped" });
      continue;
    }
    try {
      await publishCommand(
        deps.nats.nc,
        [subjects.commandsGroup(wave.group)],
        jsonBytes(rec.command),
        deps.nats.timeoutMs,
      );
    } catch (e) {
      // Give the wave back so a later tick (or another process) retries it.
      await kvSwap(
        kv,
        execId,
        jsonBytes(withWaveState(next, wave.index, "pending", null)),
        revision,
      )
        .catch(() => {});
      throw e;
    }
    // Published already; a lost confirm only means a harmless re-publish after the claim
    // goes stale (agents de-duplicate by request_id).
    const confirmed = await kvSwap(
      kv,
      execId,
      jsonBytes(withWaveState(next, wave.index, "published", nowWire())),
      revision,
    ).catch((e) => {
      deps.log.warn("rollout wave confirm failed", { exec_id: execId, wave: wave.index, err: e });
      return undefined;
    });
    if (confirmed === null) {
      deps.log.warn("rollout wave confirm lost its race", { exec_id: execId, wave: wave.index });
    }
    deps.log.info("rollout wave published", {
      exec_id: execId,
      wave: wave.index,
      group: wave.group,
    });
    done.push({ index: wave.index, group: wave.group, state: "published" });
  }
  return done;
}

/**
 * Mark every still-pending wave of an exec `skipped` (a kill stops the rollout too).
 * Revision-checked like a publish claim, so a wave is either published or cancelled.
 */
export async function cancelPendingWaves(
  deps: Deps,
  execId: string,
  reason: string,
): Promise<number> {
  const kv = await openKvOrNull(deps.nats, BUCKET.pendingWaves).catch(() => null);
  if (!kv) return 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    const entry = await kv.get(execId).catch(() => null);
    const rec = entry ? decodeRecord(entry) : null;
    if (!entry || !rec) return 0;
    const pending = rec.waves.filter((w) => w.state === "pending");
    if (pending.length === 0) return 0;
    let next = rec;
    for (const w of pending) next = withWaveState(next, w.index, "skipped", null, reason);
    if (await kvSwap(kv, execId, jsonBytes(next), entry.revision) !== null) return pending.length;
    // raced with a publish or another cancel: re-read
  }
  return 0;
}

/** Delete settled wave records older than the executions retention; returns how many. */
export async function pruneWaveRecords(deps: Deps, nowMs = Date.now()): Promise<number> {
  const days = deps.config.retentionDays.executions;
  if (days <= 0) return 0;
  const kv = await openKvOrNull(deps.nats, BUCKET.pendingWaves);
  if (!kv) return 0;
  let n = 0;
  for (const v of await kvSnapshot(deps.nats, BUCKET.pendingWaves)) {
    let rec: WaveRecord | null = null;
    try {
      const r = WaveRecordSchema.safeParse(parseJsonBytes(v.value));
      rec = r.success ? r.data : null;
    } catch {
      rec = null;
    }
    if (!rec || !isPrunable(rec, nowMs, days)) continue;
    // Revision-guarded: a record that changed since the walk is left for the next sweep.
    if (await kvSwap(kv, v.key, DELETE, v.revision).catch(() => null) !== null) n++;
  }
  return n;
}

/**
 * The dispatcher component: watches `pending_waves`, keeps one timer for the earliest
 * due wave, and publishes due waves through `processExecWaves`.
 */
export function startWaveDispatcher(deps: Deps): Component {
  const records = new Map<string, WaveRecord>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let watcher: { stop(): void } | null = null;
  let watchFailing = false;

  const arm = () => {
    if (stopped) return;
    if (timer !== null) clearTimeout(timer);
    let min: number | null = null;
    for (const rec of records.values()) {
      const t = nextDue(rec);
      if (t !== null && (min === null || t < min)) min = t;
    }
    const wait = min === null
      ? MAX_SLEEP_MS
      : Math.min(MAX_SLEEP_MS, Math.max(0, min - Date.now()));
    timer = setTimeout(() => {
      timer = null;
      tick();
    }, wait);
  };

  const runOnce = async () => {
    const now = Date.now();
    for (const [execId, rec] of [...records]) {
      if (stopped) return;
      if (dueWaves(rec, now).length === 0) continue;
      try {
        await processExecWaves(deps, execId, now);
      } catch (e) {
        deps.log.warn("rollout wave dispatch failed", { exec_id: execId, err: String(e) });
      }
    }
  };

  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await runOnce();
      } while (again && !stopped);
    })().finally(() => {
      running = null;
      arm();
    });
  };

  const watch = async () => {
    while (!stopped) {
      try {
        const kv = await openKv(deps.nats, BUCKET.pendingWaves);
        const it = await kv.watch();
        watcher = it;
        watchFailing = false;
        if (stopped) {
          it.stop();
          return;
        }
        for await (const e of it) {
          const rec = decodeRecord(e);
          if (rec && !isSettled(rec)) records.set(e.key, rec);
          else records.delete(e.key);
          if (!running) arm();
          else again = true;
        }
      } catch (e) {
        // Once per outage, not once per retry second.
        if (!stopped && !watchFailing) {
          deps.log.warn("pending_waves watch failed; retrying every second", { err: String(e) });
        }
        watchFailing = true;
      }
      // A supervisor, not a retry: a watch also ends normally (a broker restart); it is
      // re-opened a second later either way, for as long as the dispatcher runs.
      if (!stopped) await pause(1000);
    }
  };

  const watching = watch();
  arm();
  // Settled records are kept for `GET /api/executions/{id}` as long as executions are.
  const sweep = () =>
    pruneWaveRecords(deps).catch((e) =>
      deps.log.warn("pending_waves prune failed", { err: String(e) })
    );
  const pruneTimer = setInterval(sweep, deps.config.cleanupIntervalSecs * 1000);

  return component("waves", async () => {
    stopped = true;
    clearInterval(pruneTimer);
    if (timer !== null) clearTimeout(timer);
    timer = null;
    watcher?.stop();
    await running?.catch(() => {});
    await withTimeout(watching, 2000); // a bound on shutdown
  });
}
