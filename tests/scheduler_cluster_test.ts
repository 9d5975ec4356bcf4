/**
 * Two scheduler processes (two engines on two separate Deps/NATS connections, one broker,
 * one DB): exactly one execution per tick, one leader at a time, a bounded hand-over when
 * the leader dies without releasing its lease, and tick claims that admit one winner.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import {
  assertDistinct,
  everySecond,
  putJob,
  putSchedule,
  schedulerExecCount,
  sleep,
  T,
  tapCommands,
} from "./helpers/scheduler.ts";
import { closeDeps, createDeps, type Deps } from "../lib/deps.ts";
import { type SchedulerEngine, startScheduler } from "../scheduler/mod.ts";
import { claimIsOurs, claimTick, finishClaim } from "../scheduler/marks.ts";
import type { TickOutcome } from "../scheduler/tick.ts";
import { BUCKET } from "../wire/names.ts";
import { tickIds } from "../scheduler/due.ts";
import { epochMs } from "../wire/time.ts";
import { type SeenCommand, tickReport } from "./helpers/ticks.ts";

const LEASE_MS = 2000;

interface Proc {
  deps: Deps;
  engine: SchedulerEngine;
  stop(): Promise<void>;
  fired: number[];
}

async function startProc(b: TestBackend, name: string, own: boolean): Promise<Proc> {
  const deps = own ? await createDeps(b.deps.config, { setup: false, name }) : b.deps;
  const fired: number[] = [];
  const c = await startScheduler(deps, {
    leaseTtlMs: LEASE_MS,
    holder: name,
    onTick: (_id: string, t: number, o: TickOutcome) => void (o.fired && fired.push(t)),
  });
  return {
    deps,
    engine: c.engine,
    fired,
    stop: async () => {
      await c.stop();
      if (own) await closeDeps(deps).catch(() => {});
    },
  };
}

Deno.test({
  ...T,
  name: "two schedulers: one leader, exactly one execution per tick",
  fn: async () => {
    const b = await startTestBackend();
    const p1 = await startProc(b, "sched-1", false);
    const p2 = await startProc(b, "sched-2", true);
    try {
      await putJob(b.deps, "dual-job");
      await putSchedule(b.deps, everySecond("dual", "dual-job", { all: true }));
      let both = 0;
      const sampler = setInterval(() => {
        if (p1.engine.isLeader() && p2.engine.isLeader()) both++;
      }, 50);
      await waitFor(() => p1.fired.length + p2.fired.length >= 4, {
        what: "four ticks",
        timeoutMs: 10_000,
      });
      clearInterval(sampler);
      await sleep(300); // let the last fire land in the DB
      assert.equal(both, 0, "never two leaders at once");
      assert.ok(p1.engine.isLeader() !== p2.engine.isLeader(), "exactly one leader");
      const all = [...p1.fired, ...p2.fired];
      assertDistinct(all, "no tick fired by both processes");
      assert.equal(
        await schedulerExecCount(b, "dual-job"),
        all.length,
        "one execution per fired tick",
      );
      // Both engines registered the schedule; only the leader fired.
      assert.deepEqual(p1.engine.registeredIds(), ["dual"]);
      assert.deepEqual(p2.engine.registeredIds(), ["dual"]);
      const leaderFired = p1.engine.isLeader() ? p1.fired : p2.fired;
      assert.equal(leaderFired.length, all.length);
    } finally {
      await p2.stop();
      await p1.stop();
      await b.stop();
    }
  },
});

Deno.test({
  ...T,
  name: "two schedulers: the follower takes over within a bounded time when the leader dies",
  fn: async () => {
    const b = await startTestBackend();
    const pA = await startProc(b, "sched-a", true);
    await waitFor(() => pA.engine.isLeader(), { what: "a leads" });
    const pB = await startProc(b, "sched-b", true);
    try {
      await putJob(b.deps, "ha-job");
      await putSchedule(b.deps, everySecond("ha", "ha-job", { all: true }));
      await waitFor(() => pA.fired.length >= 2, { what: "leader fires" });
      assert.equal(pB.fired.length, 0, "the follower does not fire");
      // Kill: the leader's connection drops without releasing its lease.
      const killedAt = Date.now();
      await closeDeps(pA.deps);
      await waitFor(() => pB.engine.isLeader(), { what: "b takes over", timeoutMs: 10_000 });
      const tookOver = Date.now() - killedAt;
      const bound = LEASE_MS + Math.floor(LEASE_MS / 3) + 1000;
      assert.ok(tookOver <= bound, `hand-over took ${tookOver} ms (bound ${bound} ms)`);
      await waitFor(() => pB.fired.length >= 1, { what: "b fires", timeoutMs: 3000 });
      const all = [...pA.fired, ...pB.fired];
      assertDistinct(all, "no tick fired twice across the hand-over");
    } finally {
      await pB.stop();
      await pA.stop();
      await b.stop();
    }
  },
});

Deno.test({
  ...T,
  name: "a leader killed between claim and publish: its ticks are taken over and fired once",
  fn: async () => {
    const b = await startTestBackend();
    const commands = tapCommands(b, "pc-orphan");
    await putJob(b.deps, "orphan-job");
    // The dead leader's claims for two upcoming ticks: made, never published, never done.
    const kv = await b.deps.nats.kv(BUCKET.schedulerDispatch);
    const base = Math.ceil(Date.now() / 1000) * 1000;
    const orphans = [base + 2_000, base + 3_000];
    for (const t of orphans) {
      assert.equal(await claimTick(kv, "orphan", t, { holder: "dead", nonce: "x" }), "ours");
    }
    const p = await startProc(b, "survivor", false);
    try {
      await putSchedule(
        b.deps,
        everySecond("orphan", "orphan-job", { pcs: ["pc-orphan"] }, { starting_deadline: "30s" }),
      );
      const tickOf = (c: SeenCommand) => epochMs(c.deadline_at!) - 30_000;
      const until = orphans[1] + 3_000;
      await waitFor(
        () =>
          orphans.every((t) => commands.some((c) => tickOf(c) === t)) &&
          commands.some((c) => tickOf(c) >= until),
        { what: "orphaned ticks fired, and later ones", timeoutMs: 20_000 },
      );
      await (await b.deps.nats.kv(BUCKET.schedules)).delete("orphan");
      await sleep(500);
      const first = Math.min(...commands.map(tickOf));
      const r = tickReport(commands, 30_000, { first, last: until });
      assert.deepEqual(r.doubled, [], "no tick fired twice");
      assert.deepEqual(r.missing, [], "no tick missing");
      for (const t of orphans) {
        const ids = await tickIds("orphan", t);
        assert.deepEqual(r.perTick.get(t), [`${ids.execId}/${ids.requestId}`]);
        assert.ok(p.fired.includes(t), "fired by the survivor's engine");
      }
      assert.equal(
        await schedulerExecCount(b, "orphan-job"),
        r.perTick.size,
        "one execution per tick",
      );
    } finally {
      await p.stop();
      await b.stop();
    }
  },
});

Deno.test({
  ...T,
  name: "tick claims: concurrent claimers of one tick, exactly one wins",
  fn: async () => {
    const b = await startTestBackend();
    const other = await createDeps(b.deps.config, { setup: false, name: "claimer-2" });
    try {
      const kv1 = await b.deps.nats.kv(BUCKET.schedulerDispatch);
      const kv2 = await other.nats.kv(BUCKET.schedulerDispatch);
      for (let i = 0; i < 20; i++) {
        const tick = 1_800_000_000_000 + i * 1000;
        const wins = await Promise.all([
          claimTick(kv1, "s.with.dots", tick, { holder: "one", nonce: `one-${i}` }),
          claimTick(kv2, "s.with.dots", tick, { holder: "two", nonce: `two-${i}` }),
          claimTick(kv1, "s.with.dots", tick, { holder: "three", nonce: `three-${i}` }),
        ]);
        assert.equal(wins.filter((w) => w === "ours").length, 1, `tick ${i}: ${wins}`);
      }
      assert.equal(
        await claimTick(kv1, "s", 1, { holder: "x", nonce: "x" }),
        "ours",
        "another schedule's tick is separate",
      );

      // A claim its claimer never finished (killed between claim and publish) is taken over
      // once it is older than the take-over age, by exactly one of several takers; a fresh
      // one is not; a finished one never is.
      const dead = { holder: "dead", nonce: "d" };
      assert.equal(await claimTick(kv1, "orphan", 5_000, dead), "ours");
      const takers = [1, 2, 3].map((n) => ({ holder: `taker-${n}`, nonce: `t${n}` }));
      assert.equal(
        await claimTick(kv1, "orphan", 5_000, takers[0], { takeOverAfterMs: 60_000 }),
        "held",
        "a fresh claim is not taken over",
      );
      await sleep(150);
      const took = await Promise.all([
        claimTick(kv1, "orphan", 5_000, takers[0], { takeOverAfterMs: 100 }),
        claimTick(kv2, "orphan", 5_000, takers[1], { takeOverAfterMs: 100 }),
        claimTick(kv1, "orphan", 5_000, takers[2], { takeOverAfterMs: 100 }),
      ]);
      assert.equal(took.filter((w) => w === "took").length, 1, `take-over: ${took}`);
      assert.equal(took.filter((w) => w === "held").length, 2, `take-over: ${took}`);
      const winner = takers[took.indexOf("took")];
      assert.equal(await claimTick(kv1, "orphan", 5_000, dead), "held", "the old claimer lost it");
      assert.equal(await finishClaim(kv1, "orphan", 5_000, dead), false, "not its to finish");
      assert.equal(await finishClaim(kv2, "orphan", 5_000, winner), true);
      await sleep(150);
      assert.equal(
        await claimTick(kv1, "orphan", 5_000, takers[0], { takeOverAfterMs: 100 }),
        winner === takers[0] ? "ours" : "done",
        "a finished claim is never taken over",
      );
      assert.equal(await claimIsOurs(kv1, "orphan", 5_000, winner), true);
      assert.equal(await claimIsOurs(kv1, "orphan", 5_000, dead), false);
    } finally {
      await closeDeps(other);
      await b.stop();
    }
  },
});
