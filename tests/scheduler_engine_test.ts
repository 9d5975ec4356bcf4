/**
 * The scheduler engine against a real broker, a real DB, the real projectors (results,
 * events, heartbeat) and the fleet simulator: every-tick cadence, once_per_pc dedup,
 * cooldown re-arm, freeze, live edits and deletes through the KV watch.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { type Fleet, scripts, startFleet } from "./fleet/fleet.ts";
import { startScheduler } from "../scheduler/mod.ts";
import type { TickOutcome } from "../scheduler/tick.ts";
import { BUCKET, KEY_FREEZE } from "../wire/names.ts";
import { encodeManifest, type Manifest } from "../wire/manifest.ts";
import { rowsOf } from "../db/client.ts";
import { dbTs, epochMs } from "../wire/time.ts";

async function putJob(b: TestBackend, id: string, script = "echo ok") {
  const m = {
    id,
    version: "1.0.0",
    execute: { shell: "powershell", script, timeout: "30s", run_as: "system" },
    require_approval: false,
    staleness: { mode: "cached" },
  } as unknown as Manifest;
  const kv = await b.deps.nats.kv(BUCKET.jobs);
  await kv.put(id, JSON.stringify(encodeManifest(m)));
}

async function putScheduleKv(b: TestBackend, s: Record<string, unknown>) {
  const kv = await b.deps.nats.kv(BUCKET.schedules);
  return await kv.put(String(s.id), JSON.stringify(s));
}

async function schedulerExecs(b: TestBackend, jobId: string) {
  const rs = await b.deps.db.execute({
    sql:
      `SELECT exec_id, initiated_at FROM executions WHERE job_id = ? AND initiated_by = 'scheduler'
          ORDER BY initiated_at`,
    args: [jobId],
  });
  return rowsOf<{ exec_id: string; initiated_at: string }>(rs);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withBackend(
  fn: (b: TestBackend, ticks: [string, number, TickOutcome][]) => Promise<void>,
) {
  const b = await startTestBackend({ projectors: ["results", "events", "heartbeat"] });
  const ticks: [string, number, TickOutcome][] = [];
  const sched = await startScheduler(b.deps, {
    leaseTtlMs: 3000,
    onTick: (id, t, o) => ticks.push([id, t, o]),
  });
  try {
    await waitFor(() => sched.engine.isLeader(), { what: "leadership" });
    await fn(b, ticks);
  } finally {
    await sched.stop();
    await b.stop();
  }
}

function commandsFor(fleet: Fleet, pc: string, jobId: string) {
  return fleet.agent(pc).commands.filter((c) => c.id === jobId);
}

Deno.test({
  name: "scheduler: `* * * * * *` fires once per second, on distinct ticks",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withBackend(async (b, ticks) => {
      await putJob(b, "tick-job");
      await putScheduleKv(b, {
        id: "every-second",
        cron: "* * * * * *",
        job_id: "tick-job",
        target: { all: true },
      });
      await waitFor(async () => (await schedulerExecs(b, "tick-job")).length >= 1, {
        what: "first fire",
      });
      const before = (await schedulerExecs(b, "tick-job")).length;
      await sleep(3_000);
      const after = (await schedulerExecs(b, "tick-job")).length;
      const fired = after - before;
      assert.ok(fired >= 2 && fired <= 4, `fired ${fired} times in 3 s`);
      const tickTimes = ticks.filter(([id, , o]) => id === "every-second" && o.fired).map(([, t]) =>
        t
      );
      assert.equal(new Set(tickTimes).size, tickTimes.length, "no tick fired twice");
      for (const t of tickTimes) assert.equal(t % 1000, 0, "ticks are whole seconds");
    }),
});

Deno.test({
  name: "scheduler: once_per_pc fires only at PCs without a success, then stops",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withBackend(async (b) => {
      const fleet = await startFleet({
        natsUrl: b.broker.url,
        agents: 3,
        prefix: "pc",
        heartbeatIntervalMs: 500,
      });
      try {
        const pcs = fleet.pcIds;
        await waitFor(async () => {
          const rs = await b.deps.db.execute("SELECT COUNT(*) AS n FROM agents");
          return Number(rowsOf<{ n: number }>(rs)[0].n) === 3;
        }, { what: "agents alive" });
        await putJob(b, "once-job", scripts.sleep(300, "echo done"));
        // pcs[0] already succeeded in the past.
        await b.deps.db.execute({
          sql: `INSERT INTO execution_results (result_id, request_id, pc_id, exit_code, started_at,
                  finished_at, recorded_at, job_id) VALUES ('old', 'old', ?, 0, ?, ?, ?, 'once-job')`,
          args: [pcs[0], dbTs(Date.now() - 60_000), dbTs(Date.now() - 59_000), dbTs(Date.now())],
        });
        await putScheduleKv(b, {
          id: "once",
          cron: "* * * * * *",
          job_id: "once-job",
          target: { all: true },
          mode: "once_per_pc",
        });
        await waitFor(async () => {
          const rs = await b.deps.db.execute(
            "SELECT COUNT(*) AS n FROM execution_results WHERE job_id = 'once-job' AND exit_code = 0",
          );
          return Number(rowsOf<{ n: number }>(rs)[0].n) === 3;
        }, { what: "both remaining PCs succeeded", timeoutMs: 15_000 });
        await sleep(2_500); // several more ticks: nothing may fire
        assert.equal(commandsFor(fleet, pcs[0], "once-job").length, 0, "already done PC untouched");
        assert.equal(commandsFor(fleet, pcs[1], "once-job").length, 1);
        assert.equal(commandsFor(fleet, pcs[2], "once-job").length, 1);
        const execs = await schedulerExecs(b, "once-job");
        assert.ok(execs.length >= 1 && execs.length <= 2, `${execs.length} executions`);
      } finally {
        await fleet.stop();
      }
    }),
});

Deno.test({
  name: "scheduler: a cooldown re-arms a PC after its success",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withBackend(async (b) => {
      const fleet = await startFleet({
        natsUrl: b.broker.url,
        agents: ["cool-1"],
        heartbeatIntervalMs: 500,
      });
      try {
        // Generous waits: on a loaded machine the run, its result and its projection can
        // take a while; what is checked is the order of events, not how fast they come.
        await waitFor(async () => {
          const rs = await b.deps.db.execute("SELECT COUNT(*) AS n FROM agents");
          return Number(rowsOf<{ n: number }>(rs)[0].n) === 1;
        }, { what: "agent alive", timeoutMs: 30_000 });
        await putJob(b, "cool-job");
        await putScheduleKv(b, {
          id: "cool",
          cron: "* * * * * *",
          job_id: "cool-job",
          target: { pcs: ["cool-1"] },
          mode: "once_per_pc",
          cooldown: "2s",
        });
        await waitFor(async () => (await schedulerExecs(b, "cool-job")).length >= 2, {
          what: "re-armed fire",
          timeoutMs: 60_000,
        });
        const rs = await b.deps.db.execute(
          `SELECT exec_id, finished_at FROM execution_results
            WHERE job_id = 'cool-job' AND exit_code = 0 ORDER BY finished_at`,
        );
        const results = rowsOf<{ exec_id: string; finished_at: string }>(rs);
        const execs = await schedulerExecs(b, "cool-job");
        // The first fire's success re-armed the PC: the second fire came no earlier than
        // the cooldown after it (the decision's clock is read before initiated_at is).
        assert.equal(
          results[0]?.exec_id,
          execs[0].exec_id,
          "the first success is the first fire's",
        );
        const gap = epochMs(execs[1].initiated_at) - epochMs(results[0].finished_at);
        assert.ok(gap >= 2_000, `second fire ${gap} ms after the first success (cooldown 2 s)`);
        assert.ok(commandsFor(fleet, "cool-1", "cool-job").length >= 2, "both reached the agent");
      } finally {
        await fleet.stop();
      }
    }),
});

Deno.test({
  name: "scheduler: freeze skips fires; a corrupt freeze blob fails closed; clearing resumes",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withBackend(async (b, ticks) => {
      await putJob(b, "frz-job");
      const fc = await b.deps.nats.kv(BUCKET.fleetConfig);
      await fc.put(KEY_FREEZE, "{not json");
      await putScheduleKv(b, {
        id: "frz",
        cron: "* * * * * *",
        job_id: "frz-job",
        target: { all: true },
      });
      await waitFor(() => ticks.filter(([id]) => id === "frz").length >= 2, { what: "ticks" });
      assert.equal((await schedulerExecs(b, "frz-job")).length, 0);
      assert.ok(ticks.every(([, , o]) => !o.fired && o.reason === "fleet freeze"));
      await fc.delete(KEY_FREEZE);
      await waitFor(async () => (await schedulerExecs(b, "frz-job")).length >= 1, {
        what: "fire after freeze cleared",
      });
    }),
});

Deno.test({
  name: "scheduler: KV puts re-register live, deletes stop, junk is skipped",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withBackend(async (b, ticks) => {
      await putJob(b, "live-a");
      await putJob(b, "live-b");
      const kv = await b.deps.nats.kv(BUCKET.schedules);
      await kv.put("junk", '{"id":"junk"}');
      await putScheduleKv(b, {
        id: "live",
        cron: "* * * * * *",
        job_id: "live-a",
        target: { all: true },
      });
      await waitFor(async () => (await schedulerExecs(b, "live-a")).length >= 1, {
        what: "a fires",
      });
      await putScheduleKv(b, {
        id: "live",
        cron: "* * * * * *",
        job_id: "live-b",
        target: { all: true },
      });
      await waitFor(async () => (await schedulerExecs(b, "live-b")).length >= 1, {
        what: "b fires",
      });
      const aAfterEdit = (await schedulerExecs(b, "live-a")).length;
      await kv.delete("live");
      await sleep(300);
      const bAfterDelete = (await schedulerExecs(b, "live-b")).length;
      await sleep(2_000);
      assert.ok(
        (await schedulerExecs(b, "live-a")).length <= aAfterEdit + 1,
        "a stopped after the edit",
      );
      assert.equal(
        (await schedulerExecs(b, "live-b")).length,
        bAfterDelete,
        "b stopped after delete",
      );
      assert.ok(!ticks.some(([id]) => id === "junk"));
    }),
});

Deno.test({
  name: "scheduler: survives a broker restart (watch re-synced, lease regained, fires resume)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withBackend(async (b, ticks) => {
      await putJob(b, "rs-a");
      await putJob(b, "rs-b");
      await putScheduleKv(b, {
        id: "rs-a",
        cron: "* * * * * *",
        job_id: "rs-a",
        target: { all: true },
      });
      await waitFor(async () => (await schedulerExecs(b, "rs-a")).length >= 1, { what: "a fires" });
      await b.broker.restart({ downMs: 500 });
      // Writes wait until the client reconnected and JetStream is back.
      const rsB = { id: "rs-b", cron: "* * * * * *", job_id: "rs-b", target: { all: true } };
      await waitFor(() => putScheduleKv(b, rsB).then(() => true), {
        what: "put after restart",
        timeoutMs: 20_000,
        intervalMs: 500,
      });
      await waitFor(async () => (await schedulerExecs(b, "rs-b")).length >= 1, {
        what: "a schedule written after the restart fires",
        timeoutMs: 30_000,
      });
      const a = (await schedulerExecs(b, "rs-a")).length;
      await waitFor(async () => (await schedulerExecs(b, "rs-a")).length > a, {
        what: "a resumes",
      });
      const fired = ticks.filter(([, , o]) => o.fired).map(([id, t]) => `${id}@${t}`);
      assert.equal(new Set(fired).size, fired.length, "no tick fired twice");
    }),
});
