/**
 * The set-up the scheduler tests share: a job manifest and a schedule written straight to
 * their KV buckets (the API is not what these tests are about), the scheduler's executions
 * read back from the DB, the Commands one PC receives, and a backend with a running,
 * leading scheduler whose fires are recorded.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, type TestBackendOptions, waitFor } from "./backend.ts";
import type { Deps } from "../../lib/deps.ts";
import { type SchedulerOptions, startScheduler } from "../../scheduler/mod.ts";
import type { TickOutcome } from "../../scheduler/tick.ts";
import { BUCKET, subjects } from "../../wire/names.ts";
import { encodeManifest } from "../../wire/manifest_encode.ts";
import { type Manifest } from "../../wire/manifest.ts";
import { parseJsonBytes } from "../../wire/codec.ts";
import { rowsOf } from "../../db/client.ts";
import type { SeenCommand } from "./ticks.ts";

/** Engines and brokers stop in each test's own teardown, not on Deno's sanitizer schedule. */
export const T = { sanitizeOps: false, sanitizeResources: false };
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A minimal valid job (powershell, no approval, cached staleness) put into the jobs KV. */
export async function putJob(deps: Deps, id: string, script = "echo ok") {
  const m = {
    id,
    version: "1.0.0",
    execute: { shell: "powershell", script, timeout: "30s", run_as: "system" },
    require_approval: false,
    staleness: { mode: "cached" },
  } as unknown as Manifest;
  await (await deps.nats.kv(BUCKET.jobs)).put(id, JSON.stringify(encodeManifest(m)));
}

/** A raw schedule record put into the schedules KV (unvalidated: junk is allowed). */
export async function putSchedule(deps: Deps, s: Record<string, unknown>) {
  return await (await deps.nats.kv(BUCKET.schedules)).put(String(s.id), JSON.stringify(s));
}

/** A schedule record that fires every second (`* * * * * *`); `extra` adds or overrides fields. */
export function everySecond(
  id: string,
  jobId: string,
  target: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, cron: "* * * * * *", job_id: jobId, target, ...extra };
}

/** The executions the scheduler started for a job, oldest first. */
export async function schedulerExecs(b: TestBackend, jobId: string) {
  const rs = await b.deps.db.execute({
    sql:
      `SELECT exec_id, initiated_at FROM executions WHERE job_id = ? AND initiated_by = 'scheduler'
          ORDER BY initiated_at`,
    args: [jobId],
  });
  return rowsOf<{ exec_id: string; initiated_at: string }>(rs);
}

export async function schedulerExecCount(b: TestBackend, jobId: string): Promise<number> {
  return (await schedulerExecs(b, jobId)).length;
}

/**
 * Every Command published to one PC (repeats included), in arrival order; collected for as
 * long as the backend's connection lives.
 */
export function tapCommands(b: TestBackend, pc: string): SeenCommand[] {
  const seen: SeenCommand[] = [];
  b.deps.nats.nc.subscribe(subjects.commandsPc(pc), {
    callback: (_e, m) => void seen.push(parseJsonBytes(m.data) as SeenCommand),
  });
  return seen;
}

/** No value twice (a tick, or `schedule@tick`, fired at most once). */
export function assertDistinct(values: unknown[], message = "no tick fired twice") {
  assert.equal(new Set(values).size, values.length, message);
}

/** One `onTick` report of the engine, with the time it came. */
export interface Fire {
  id: string;
  tick: number;
  at: number;
  outcome: TickOutcome;
}

export interface SchedulerRun {
  b: TestBackend;
  engine: Awaited<ReturnType<typeof startScheduler>>["engine"];
  /** Every tick the engine reported, in report order. */
  fires: Fire[];
}

/**
 * A backend plus a scheduler (lease 3 s unless `scheduler` says otherwise) that recorded
 * ticks into `fires`; `fn` runs once the scheduler leads, and everything stops afterwards.
 */
export async function withScheduler(
  opts: { backend?: TestBackendOptions; scheduler?: Omit<SchedulerOptions, "onTick"> },
  fn: (run: SchedulerRun) => Promise<void>,
) {
  const b = await startTestBackend(opts.backend);
  const fires: Fire[] = [];
  const sched = await startScheduler(b.deps, {
    leaseTtlMs: 3000,
    ...opts.scheduler,
    onTick: (id, tick, outcome) => fires.push({ id, tick, at: Date.now(), outcome }),
  });
  try {
    await waitFor(() => sched.engine.isLeader(), { what: "leadership" });
    await fn({ b, engine: sched.engine, fires });
  } finally {
    await sched.stop();
    await b.stop();
  }
}
