/**
 * The scheduler against a slow or failing KV (real broker, real DB; the KV handles are
 * wrapped through the engine's `wrapKv` seam to play a replica leader election):
 *  - a tick whose claim hangs does not cost the following ticks, and still fires once;
 *  - a claim applied whose reply was lost is recognised as this task's own on retry
 *    (fired once: neither twice nor lost);
 *  - a claim failing for a while is retried and fires late with `deadline_at` = tick +
 *    starting_deadline; without starting_deadline it is dropped past the 5 s grace;
 *  - while the lease and the claims both fail for a few seconds (the leader cannot renew
 *    and steps down), every tick inside starting_deadline still fires exactly once.
 */
import assert from "node:assert/strict";
import type { KV } from "@nats-io/kv";
import { waitFor } from "./helpers/backend.ts";
import {
  assertDistinct,
  everySecond,
  putJob,
  putSchedule,
  schedulerExecCount,
  sleep,
  T,
  tapCommands,
  withScheduler,
} from "./helpers/scheduler.ts";
import type { SeenCommand } from "./helpers/ticks.ts";
import { claimTick } from "../scheduler/marks.ts";
import { BUCKET, dispatchKeyTick } from "../wire/names.ts";
import { epochMs } from "../wire/time.ts";
import { parseJsonBytes } from "../wire/codec.ts";

/** What a request into a leader election looks like to the client. */
function timeoutError(): Error {
  const e = new Error("TIMEOUT");
  e.name = "TimeoutError";
  return e;
}

type Hooks = Partial<
  // deno-lint-ignore no-explicit-any -- hooks receive each KV method's own arguments
  Record<"create" | "get" | "update" | "put" | "keys", (...a: any[]) => unknown>
>;

/** A KV handle whose listed methods go through `hooks` (given the real handle first). */
function hookKv(kv: KV, hooks: Hooks): KV {
  return new Proxy(kv, {
    get(target, prop, _recv) {
      const h = hooks[prop as keyof Hooks];
      if (h) return (...a: unknown[]) => h(target, ...a);
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A `wrapKv` that hooks the engine's tick-claim bucket only. */
function onDispatch(hooks: Hooks) {
  return (bucket: string, kv: KV) => bucket !== BUCKET.schedulerDispatch ? kv : hookKv(kv, hooks);
}

function tickOf(key: string): number | null {
  return key.startsWith("tick.") ? Number(key.split(".").pop()) : null;
}

/** A Command's `deadline_at` (ms). */
function deadlineOf(c: SeenCommand): number | null {
  return c.deadline_at ? epochMs(c.deadline_at) : null;
}

Deno.test({
  ...T,
  name: "resilience: a slow tick claim does not drop the following ticks",
  fn: async () => {
    let slowTick: number | null = null;
    let armed = false;
    const wrapKv = onDispatch({
      create: async (real: KV, key: string, value: string) => {
        const tick = tickOf(key);
        if (armed && tick !== null && slowTick === null) {
          slowTick = tick;
          await sleep(3_000); // a claim sent into an election, answered late
        }
        return await real.create(key, value);
      },
    });
    await withScheduler({ scheduler: { wrapKv } }, async ({ b, fires }) => {
      await putJob(b.deps, "slow-job");
      await putSchedule(b.deps, everySecond("slow", "slow-job", { pcs: ["pc-slow"] }));
      await waitFor(() => fires.length >= 2, { what: "ticks before the slowdown" });
      armed = true;
      await waitFor(() => slowTick !== null, { what: "a slow claim" });
      // The slow tick plus the four after it.
      await waitFor(() => fires.some((f) => f.tick === slowTick! + 4000), {
        what: "four ticks after the slow one",
        timeoutMs: 8_000,
      });
      await waitFor(() => fires.some((f) => f.tick === slowTick), {
        what: "the slow tick fires late",
        timeoutMs: 5_000,
      });
      const s = slowTick!;
      for (let t = s + 1000; t <= s + 4000; t += 1000) {
        const f = fires.filter((x) => x.tick === t);
        assert.equal(f.length, 1, `tick +${t - s} fired once`);
        assert.ok(f[0].outcome.fired, JSON.stringify(f[0].outcome));
        // Not held back behind the slow claim (which answers at s + 3 s).
        assert.ok(f[0].at - t < 1_500, `tick +${t - s} fired ${f[0].at - t} ms late`);
      }
      const slow = fires.filter((x) => x.tick === s);
      assert.equal(slow.length, 1, "the slow tick fired once");
      assert.ok(slow[0].outcome.fired);
      assert.ok(slow[0].at - s >= 2_900, "the slow tick fired after its slow claim");
      // Every tick observed so far fired exactly once, and one execution each.
      assertDistinct(fires.map((f) => f.tick));
      await sleep(300);
      const fired = fires.filter((f) => f.outcome.fired).length;
      assert.ok(
        Math.abs((await schedulerExecCount(b, "slow-job")) - fired) <= 1,
        "one execution per fire",
      );
    });
  },
});

Deno.test({
  ...T,
  name: "resilience: a claim whose reply was lost is recognised as ours on retry",
  fn: async () => {
    // The engine's claims: the first after arming is applied but its reply is lost.
    let lostTick: number | null = null;
    const creates = new Map<number, number>();
    let armed = false;
    const wrapKv = onDispatch({
      create: async (r: KV, key: string, value: string) => {
        const tick = tickOf(key);
        if (tick !== null) creates.set(tick, (creates.get(tick) ?? 0) + 1);
        const rev = await r.create(key, value);
        if (armed && tick !== null && lostTick === null) {
          lostTick = tick;
          throw timeoutError();
        }
        return rev;
      },
    });
    await withScheduler({ scheduler: { wrapKv } }, async ({ b, fires }) => {
      // claimTick alone (the engine has no schedule yet, so it claims nothing).
      const real = await b.deps.nats.kv(BUCKET.schedulerDispatch);
      let lose = true;
      const kv = hookKv(real, {
        create: async (r: KV, key: string, value: string) => {
          const rev = await r.create(key, value);
          if (lose) {
            lose = false;
            throw timeoutError(); // applied, but the reply never came
          }
          return rev;
        },
      });
      const me = { holder: "proc-a", nonce: "tick-task-1" };
      await assert.rejects(claimTick(kv, "lost", 1_000, me), /TIMEOUT/);
      assert.equal(await claimTick(kv, "lost", 1_000, me), "ours", "the retry finds our claim");
      assert.equal(
        await claimTick(kv, "lost", 1_000, { holder: "proc-a", nonce: "another-task" }),
        "held",
        "another task of the same process does not own it",
      );
      assert.equal(
        await claimTick(kv, "lost", 1_000, { holder: "proc-b", nonce: "tick-task-1" }),
        "held",
        "another process does not own it",
      );
      const stored = await real.get(dispatchKeyTick("lost", 1_000));
      assert.equal((parseJsonBytes(stored!.value) as { nonce: string }).nonce, "tick-task-1");

      // The engine end to end: the lost reply is retried, recognised, fired once.
      await putJob(b.deps, "lost-job");
      await putSchedule(b.deps, everySecond("lost-reply", "lost-job", { pcs: ["pc-lost"] }));
      await waitFor(() => fires.length >= 1, { what: "a first tick" });
      armed = true;
      await waitFor(() => lostTick !== null && fires.some((f) => f.tick === lostTick), {
        what: "the tick with the lost reply fires",
        timeoutMs: 5_000,
      });
      await waitFor(() => fires.some((f) => f.tick === lostTick! + 2000), { what: "+2 ticks" });
      const mine = fires.filter((f) => f.tick === lostTick);
      assert.equal(mine.length, 1, "fired once");
      assert.ok(mine[0].outcome.fired, JSON.stringify(mine[0].outcome));
      assert.equal(creates.get(lostTick!), 2, "claimed, reply lost, claimed again");
      assertDistinct(fires.map((f) => f.tick));
    });
  },
});

Deno.test({
  ...T,
  name: "resilience: failing claims retry inside starting_deadline; without one, 5 s grace",
  fn: async () => {
    // Per schedule: the first tick claimed after arming fails for `failMs`.
    const failing = new Map<string, { tick: number | null; until: number; attempts: number }>();
    let armed = false;
    const wrapKv = onDispatch({
      create: async (real: KV, key: string, value: string) => {
        const tick = tickOf(key);
        const id = key.split(".").slice(2, -1).join(".");
        const f = failing.get(id);
        if (armed && f && tick !== null && (f.tick === null || f.tick === tick)) {
          f.tick = tick;
          if (f.until === 0) f.until = Date.now() + (id === "with-sd" ? 3_000 : 6_000);
          if (Date.now() < f.until) {
            f.attempts++;
            await sleep(50);
            throw timeoutError();
          }
        }
        return await real.create(key, value);
      },
    });
    await withScheduler({ scheduler: { wrapKv } }, async ({ b, fires }) => {
      const seen = tapCommands(b, "pc-sd");
      await putJob(b.deps, "sd-job");
      failing.set("with-sd", { tick: null, until: 0, attempts: 0 });
      failing.set("no-sd", { tick: null, until: 0, attempts: 0 });
      await putSchedule(
        b.deps,
        everySecond("with-sd", "sd-job", { pcs: ["pc-sd"] }, { starting_deadline: "10s" }),
      );
      await putSchedule(b.deps, everySecond("no-sd", "sd-job", { pcs: ["pc-nosd"] }));
      await waitFor(() => fires.filter((f) => f.id === "no-sd").length >= 1, { what: "ticks" });
      armed = true;
      const sd = failing.get("with-sd")!;
      const nosd = failing.get("no-sd")!;
      await waitFor(() => sd.tick !== null && fires.some((f) => f.tick === sd.tick), {
        what: "the retried tick fires late",
        timeoutMs: 8_000,
      });
      const late = fires.filter((f) => f.id === "with-sd" && f.tick === sd.tick);
      assert.equal(late.length, 1);
      assert.ok(late[0].outcome.fired, JSON.stringify(late[0].outcome));
      assert.ok(late[0].at - sd.tick! >= 2_900, `fired ${late[0].at - sd.tick!} ms late`);
      assert.ok(sd.attempts >= 3, `retried with backoff (${sd.attempts} failed attempts)`);
      // Its Command carries deadline_at = tick + starting_deadline.
      await waitFor(() => seen.some((c) => deadlineOf(c) === sd.tick! + 10_000), {
        what: "the late Command with its deadline_at",
      });
      assert.equal(seen.filter((c) => deadlineOf(c) === sd.tick! + 10_000).length, 1);
      // Meanwhile the following ticks of the same schedule fired on time.
      assert.ok(fires.some((f) => f.id === "with-sd" && f.tick === sd.tick! + 1000));

      // Without starting_deadline, a claim failing for 6 s is given up at the 5 s grace.
      await waitFor(() => nosd.tick !== null && Date.now() > nosd.tick + 7_000, {
        what: "past the grace",
        timeoutMs: 12_000,
      });
      assert.deepEqual(
        fires.filter((f) => f.id === "no-sd" && f.tick === nosd.tick),
        [],
        "dropped past the grace",
      );
      assert.ok(fires.some((f) => f.id === "no-sd" && f.tick === nosd.tick! + 1000));
      assertDistinct(fires.map((f) => `${f.id}@${f.tick}`));
    });
  },
});

Deno.test({
  ...T,
  name: "resilience: lease and claims down for 4 s: every tick inside starting_deadline fires once",
  fn: async () => {
    let downUntil = 0;
    const down = async () => {
      if (Date.now() < downUntil) {
        await sleep(Math.min(2_000, downUntil - Date.now())); // a request hanging to timeout
        throw timeoutError();
      }
    };
    const hooks: Hooks = {
      create: async (r: KV, k: string, v: string) => (await down(), await r.create(k, v)),
      get: async (r: KV, k: string) => (await down(), await r.get(k)),
      update: async (r: KV, k: string, v: string, rev: number) => (
        await down(), await r.update(k, v, rev)
      ),
    };
    // The stored expiry of every lease write that went through.
    let storedExpiry = 0;
    const leaseHooks: Hooks = {
      ...hooks,
      create: async (r: KV, k: string, v: string) => {
        await down();
        const rev = await r.create(k, v);
        storedExpiry = Math.max(storedExpiry, JSON.parse(v).expires_ms);
        return rev;
      },
      update: async (r: KV, k: string, v: string, rev: number) => {
        await down();
        const n = await r.update(k, v, rev);
        storedExpiry = Math.max(storedExpiry, JSON.parse(v).expires_ms);
        return n;
      },
    };
    const wrapKv = (bucket: string, kv: KV) =>
      bucket === BUCKET.schedulerDispatch
        ? hookKv(kv, hooks)
        : bucket === BUCKET.leases
        ? hookKv(kv, leaseHooks)
        : kv;
    await withScheduler({ scheduler: { leaseTtlMs: 1500, wrapKv } }, async (run) => {
      const { b, engine, fires } = run;
      const seen = tapCommands(b, "pc-outage");
      await putJob(b.deps, "outage-job");
      await putSchedule(
        b.deps,
        everySecond("outage", "outage-job", { pcs: ["pc-outage"] }, { starting_deadline: "30s" }),
      );
      await waitFor(() => fires.length >= 2, { what: "ticks before the outage" });
      const outageAt = Date.now();
      downUntil = outageAt + 4_000;
      // A leader that cannot renew stops believing it leads before its stored lease
      // expires (sampled finely: the belief must end while the stored lease still holds).
      let steppedDown = 0;
      const sampler = setInterval(() => {
        if (!steppedDown && !engine.isLeader()) steppedDown = Date.now();
      }, 10);
      await waitFor(() => steppedDown > 0, { what: "the leader steps down", timeoutMs: 3_000 })
        .finally(() => clearInterval(sampler));
      assert.ok(
        steppedDown < storedExpiry,
        `stepped down ${steppedDown - storedExpiry} ms after the stored lease expired`,
      );
      await waitFor(() => engine.isLeader(), { what: "leads again", timeoutMs: 8_000 });
      const end = Date.now() + 2_000;
      await waitFor(() => fires.some((f) => f.tick >= end), { what: "ticks after the outage" });
      await sleep(300);
      const ticks = fires.map((f) => f.tick).sort((x, y) => x - y);
      assertDistinct(ticks);
      assert.ok(fires.every((f) => f.outcome.fired), "every claimed tick fired");
      const missing: number[] = [];
      for (let t = ticks[0]; t <= ticks[ticks.length - 1]; t += 1000) {
        if (!ticks.includes(t)) missing.push(t - outageAt);
      }
      assert.deepEqual(missing, [], "ticks missing (ms rel. to the outage)");
      assert.ok(
        ticks.filter((t) => t > outageAt && t < downUntil).length >= 3,
        "ticks during the outage were fired (late)",
      );
      // Each one Command, deadline_at naming its tick.
      const dl = seen.map((c) => deadlineOf(c)! - 30_000).sort((x, y) => x - y);
      assert.deepEqual(dl.filter((t) => t <= ticks[ticks.length - 1]), ticks);
    });
  },
});

Deno.test({
  ...T,
  name: "resilience: once_per_pc fires stay in order behind a slow tick (no double fire)",
  fn: async () => {
    let slowKeys = true;
    const wrapKv = onDispatch({
      // The first tick's read of the dispatch marks is slow (an election), so the
      // next ticks are claimed while it still decides.
      keys: async (real: KV, filter?: string) => {
        if (slowKeys) {
          slowKeys = false;
          await sleep(2_500);
        }
        return await real.keys(filter);
      },
    });
    await withScheduler({ scheduler: { wrapKv } }, async ({ b, fires }) => {
      const seenA = tapCommands(b, "pc-a");
      const seenB = tapCommands(b, "pc-b");
      await putJob(b.deps, "once-job");
      await putSchedule(
        b.deps,
        everySecond("once", "once-job", { pcs: ["pc-a", "pc-b"] }, { mode: "once_per_pc" }),
      );
      await waitFor(() => fires.length >= 5, { what: "five ticks", timeoutMs: 10_000 });
      await sleep(500);
      assert.equal(seenA.length, 1, "pc-a got one Command");
      assert.equal(seenB.length, 1, "pc-b got one Command");
      const fired = fires.filter((f) => f.outcome.fired);
      assert.equal(fired.length, 1, JSON.stringify(fires.map((f) => f.outcome)));
      // The ticks claimed behind the slow one ran after it, in tick order.
      const order = fires.map((f) => f.tick);
      assert.deepEqual(order, [...order].sort((x, y) => x - y), "fires in tick order");
    });
  },
});
