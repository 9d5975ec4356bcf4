/**
 * The scheduler engine against a real broker, a real DB, the real projectors (results,
 * events, heartbeat) and the fleet simulator: every-tick cadence, once_per_pc dedup,
 * cooldown re-arm, freeze, live edits and deletes through the KV watch.
 */
import assert from "node:assert/strict";
import { type TestBackend, waitFor } from "./helpers/backend.ts";
import {
  assertDistinct,
  everySecond,
  putJob,
  putSchedule,
  schedulerExecs,
  type SchedulerRun,
  sleep,
  T,
  withScheduler,
} from "./helpers/scheduler.ts";
import { type Fleet, scripts, startFleet } from "../simulator/fleet.ts";
import { BUCKET, KEY_FREEZE } from "../wire/names.ts";
import { rowsOf } from "../db/client.ts";
import { dbTs, epochMs } from "../wire/time.ts";

/** A leading scheduler over a backend running the projectors these tests read through. */
function withBackend(fn: (run: SchedulerRun) => Promise<void>) {
  return withScheduler({ backend: { projectors: ["results", "events", "heartbeat"] } }, fn);
}

const AGENTS = "SELECT COUNT(*) AS n FROM agents";

async function countRows(b: TestBackend, sql: string): Promise<number> {
  return Number(rowsOf<{ n: number }>(await b.deps.db.execute(sql))[0].n);
}

function commandsFor(fleet: Fleet, pc: string, jobId: string) {
  return fleet.agent(pc).commands.filter((c) => c.id === jobId);
}

Deno.test({
  ...T,
  name: "scheduler: `* * * * * *` fires once per second, on distinct ticks",
  fn: () =>
    withBackend(async ({ b, fires }) => {
      await putJob(b.deps, "tick-job");
      await putSchedule(b.deps, everySecond("every-second", "tick-job", { all: true }));
      await waitFor(async () => (await schedulerExecs(b, "tick-job")).length >= 1, {
        what: "first fire",
      });
      const before = (await schedulerExecs(b, "tick-job")).length;
      await sleep(3_000);
      const after = (await schedulerExecs(b, "tick-job")).length;
      const fired = after - before;
      assert.ok(fired >= 2 && fired <= 4, `fired ${fired} times in 3 s`);
      const tickTimes = fires.filter((f) => f.id === "every-second" && f.outcome.fired).map((f) =>
        f.tick
      );
      assertDistinct(tickTimes);
      for (const t of tickTimes) assert.equal(t % 1000, 0, "ticks are whole seconds");
    }),
});

Deno.test({
  ...T,
  name: "scheduler: once_per_pc fires only at PCs without a success, then stops",
  fn: () =>
    withBackend(async ({ b }) => {
      const fleet = await startFleet({
        natsUrl: b.broker.url,
        agents: 3,
        prefix: "pc",
        heartbeatIntervalMs: 500,
      });
      try {
        const pcs = fleet.pcIds;
        await waitFor(async () => (await countRows(b, AGENTS)) === 3, { what: "agents alive" });
        await putJob(b.deps, "once-job", scripts.sleep(300, "echo done"));
        // pcs[0] already succeeded in the past.
        await b.deps.db.execute({
          sql: `INSERT INTO execution_results (result_id, request_id, pc_id, exit_code, started_at,
                  finished_at, recorded_at, job_id) VALUES ('old', 'old', ?, 0, ?, ?, ?, 'once-job')`,
          args: [pcs[0], dbTs(Date.now() - 60_000), dbTs(Date.now() - 59_000), dbTs(Date.now())],
        });
        await putSchedule(
          b.deps,
          everySecond("once", "once-job", { all: true }, { mode: "once_per_pc" }),
        );
        const successes =
          "SELECT COUNT(*) AS n FROM execution_results WHERE job_id = 'once-job' AND exit_code = 0";
        await waitFor(async () => (await countRows(b, successes)) === 3, {
          what: "both remaining PCs succeeded",
          timeoutMs: 15_000,
        });
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
  ...T,
  name: "scheduler: a cooldown re-arms a PC after its success",
  fn: () =>
    withBackend(async ({ b }) => {
      const fleet = await startFleet({
        natsUrl: b.broker.url,
        agents: ["cool-1"],
        heartbeatIntervalMs: 500,
      });
      try {
        // Generous waits: on a loaded machine the run, its result and its projection can
        // take a while; what is checked is the order of events, not how fast they come.
        await waitFor(async () => (await countRows(b, AGENTS)) === 1, {
          what: "agent alive",
          timeoutMs: 30_000,
        });
        await putJob(b.deps, "cool-job");
        await putSchedule(
          b.deps,
          everySecond("cool", "cool-job", { pcs: ["cool-1"] }, {
            mode: "once_per_pc",
            cooldown: "2s",
          }),
        );
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
        // The executions row is written before the Command is published: wait for delivery.
        await waitFor(() => commandsFor(fleet, "cool-1", "cool-job").length >= 2, {
          what: "both reached the agent",
          timeoutMs: 10_000,
        });
      } finally {
        await fleet.stop();
      }
    }),
});

Deno.test({
  ...T,
  name: "scheduler: freeze skips fires; a corrupt freeze blob fails closed; clearing resumes",
  fn: () =>
    withBackend(async ({ b, fires }) => {
      await putJob(b.deps, "frz-job");
      const fc = await b.deps.nats.kv(BUCKET.fleetConfig);
      await fc.put(KEY_FREEZE, "{not json");
      await putSchedule(b.deps, everySecond("frz", "frz-job", { all: true }));
      await waitFor(() => fires.filter((f) => f.id === "frz").length >= 2, { what: "ticks" });
      assert.equal((await schedulerExecs(b, "frz-job")).length, 0);
      assert.ok(fires.every((f) => !f.outcome.fired && f.outcome.reason === "fleet freeze"));
      await fc.delete(KEY_FREEZE);
      await waitFor(async () => (await schedulerExecs(b, "frz-job")).length >= 1, {
        what: "fire after freeze cleared",
      });
    }),
});

Deno.test({
  ...T,
  name: "scheduler: KV puts re-register live, deletes stop, junk is skipped",
  fn: () =>
    withBackend(async ({ b, fires }) => {
      await putJob(b.deps, "live-a");
      await putJob(b.deps, "live-b");
      const kv = await b.deps.nats.kv(BUCKET.schedules);
      await kv.put("junk", '{"id":"junk"}');
      await putSchedule(b.deps, everySecond("live", "live-a", { all: true }));
      await waitFor(async () => (await schedulerExecs(b, "live-a")).length >= 1, {
        what: "a fires",
      });
      await putSchedule(b.deps, everySecond("live", "live-b", { all: true }));
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
      assert.ok(!fires.some((f) => f.id === "junk"));
    }),
});

Deno.test({
  ...T,
  name: "scheduler: survives a broker restart (watch re-synced, lease regained, fires resume)",
  fn: () =>
    withBackend(async ({ b, fires }) => {
      await putJob(b.deps, "rs-a");
      await putJob(b.deps, "rs-b");
      await putSchedule(b.deps, everySecond("rs-a", "rs-a", { all: true }));
      await waitFor(async () => (await schedulerExecs(b, "rs-a")).length >= 1, { what: "a fires" });
      await b.broker.restart({ downMs: 500 });
      // Writes wait until the client reconnected and JetStream is back.
      const rsB = everySecond("rs-b", "rs-b", { all: true });
      await waitFor(() => putSchedule(b.deps, rsB).then(() => true), {
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
      assertDistinct(fires.filter((f) => f.outcome.fired).map((f) => `${f.id}@${f.tick}`));
    }),
});
