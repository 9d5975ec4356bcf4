/**
 * One tick at a time (`runTick`) against a real broker and DB: what goes on the wire
 * (deadline_at, retry), group resolution in both `agent_groups` shapes, dispatch marks,
 * max_concurrent, auto-disable with audit, gates and skips. Plus the engine's registration
 * rules and its starting_deadline catch-up on gaining leadership.
 */
import assert from "node:assert/strict";
import type { SubscriptionOptions } from "@nats-io/transport-node";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { runTick, type TickContext } from "../scheduler/tick.ts";
import { tickIds } from "../scheduler/due.ts";
import { startScheduler } from "../scheduler/mod.ts";
import type { Mark } from "../scheduler/policy.ts";
import { BUCKET, dispatchKeyPc, STREAM, SUBJECT } from "../wire/names.ts";
import { decodeSchedule, type Schedule } from "../wire/schedule.ts";
import { engineTerms } from "../wire/schedule_when.ts";
import { encodeManifest } from "../wire/manifest_encode.ts";
import { type Manifest } from "../wire/manifest.ts";
import { type Command, CommandSchema } from "../wire/messages.ts";
import { parseJsonBytes, utf8 } from "../wire/codec.ts";
import { dbTs } from "../wire/time.ts";
import { rowsOf } from "../db/client.ts";

const T = { sanitizeOps: false, sanitizeResources: false };

interface H {
  b: TestBackend;
  ctx: TickContext;
  commands: { subject: string; cmd: Command }[];
  audits: {
    actor: string;
    action: string;
    target: string | null;
    payload: Record<string, unknown>;
  }[];
  tick(s: Record<string, unknown>, tickMs?: number, revision?: number): ReturnType<typeof runTick>;
  alive(...pcs: string[]): Promise<void>;
  stop(): Promise<void>;
}

async function harness(): Promise<H> {
  const b = await startTestBackend({ waves: false });
  const commands: H["commands"] = [];
  const audits: H["audits"] = [];
  b.deps.nats.nc.subscribe(SUBJECT.commandsFilter, {
    callback: (_e, m) =>
      void commands.push({ subject: m.subject, cmd: CommandSchema.parse(parseJsonBytes(m.data)) }),
  });
  b.deps.nats.nc.subscribe(SUBJECT.auditFilter, {
    callback: (_e, m) => void audits.push(parseJsonBytes(m.data) as H["audits"][number]),
  });
  const m = {
    id: "job",
    version: "2.0.0",
    execute: { shell: "powershell", script: "echo hi", timeout: "60s", run_as: "system" },
    require_approval: false,
    staleness: { mode: "cached" },
  } as unknown as Manifest;
  await (await b.deps.nats.kv(BUCKET.jobs)).put("job", JSON.stringify(encodeManifest(m)));
  const ctx: TickContext = {
    deps: b.deps,
    dispatchKv: await b.deps.nats.kv(BUCKET.schedulerDispatch),
    schedulesKv: await b.deps.nats.kv(BUCKET.schedules),
    aliveWindowSecs: 120,
    markCache: new Map<string, Map<string, Mark>>(),
  };
  return {
    b,
    ctx,
    commands,
    audits,
    tick: (raw, tickMs = Math.floor(Date.now() / 1000) * 1000, revision = 0) => {
      const schedule = decodeSchedule({ job_id: "job", ...raw }) as Schedule;
      assert.ok(schedule, "test schedule decodes");
      return runTick(ctx, { schedule, terms: engineTerms(schedule), revision, tickMs });
    },
    async alive(...pcs) {
      const now = dbTs(Date.now());
      for (const pc of pcs) {
        await b.deps.db.execute({
          sql: "INSERT OR REPLACE INTO agents (pc_id, last_heartbeat, updated_at) VALUES (?, ?, ?)",
          args: [pc, now, now],
        });
      }
    },
    stop: () => b.stop(),
  };
}

/** A test body given a fresh harness, stopped afterwards whatever happens. */
function withHarness(fn: (h: H) => Promise<void>) {
  return async () => {
    const h = await harness();
    try {
      await fn(h);
    } finally {
      await h.stop();
    }
  };
}

Deno.test({
  ...T,
  name: "tick: starting_deadline → deadline_at and on_failure.retry → Command.retry",
  fn: withHarness(async (h) => {
    const tickMs = Date.UTC(2030, 0, 1, 9, 0, 0);
    const out = await h.tick({
      id: "cal",
      when: { calendar: { at: "09:00" } },
      target: { pcs: ["pc-1"] },
      tz: "utc",
      starting_deadline: "30m",
      jitter: "10s",
      on_failure: { retry: { max: 3, backoff: "2m" } },
    }, tickMs);
    assert.equal(out.fired, true, JSON.stringify(out));
    await waitFor(() => h.commands.length === 1, { what: "command" });
    const { subject, cmd } = h.commands[0];
    assert.equal(subject, "commands.pc.pc-1");
    assert.equal(cmd.deadline_at, "2030-01-01T09:30:00Z");
    assert.deepEqual(cmd.retry, { max: 3, backoff_secs: 120 });
    assert.equal(cmd.jitter_secs, 10);
    assert.equal(cmd.version, "2.0.0");
    const rs = await h.b.deps.db.execute("SELECT initiated_by FROM executions");
    assert.equal(rowsOf<{ initiated_by: string }>(rs)[0].initiated_by, "scheduler");
  }),
});

Deno.test({
  ...T,
  name:
    "tick: a Command whose ack is lost with the connection is fired again as the same Command, one row",
  fn: withHarness(async (h) => {
    // The publish reaches the broker, then its ack from EXEC is lost as when the connection
    // drops under it ("connection disconnected"): whether anything went out is unknown to
    // the scheduler. It used to give such a tick up (a lost tick when nothing had gone
    // out); now it repeats the very same Command, which agents drop by request_id.
    const real = h.b.deps.nats.nc;
    let failAck = true;
    const nc = new Proxy(real, {
      get(target, prop) {
        if (prop === "subscribe") {
          return (subject: string, opts?: SubscriptionOptions) => {
            const cb = opts?.callback;
            if (!cb || !subject.startsWith("_INBOX.")) return target.subscribe(subject, opts);
            // While failAck holds, acks are lost as when the connection breaks under them.
            return target.subscribe(subject, {
              ...opts,
              callback: (err, msg) => failAck ? undefined : cb(err, msg),
            });
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const lossy: TickContext = {
      ...h.ctx,
      // A short wait for the ack that never comes.
      deps: { ...h.b.deps, nats: { ...h.b.deps.nats, nc, timeoutMs: 500 } },
    };
    const s = {
      id: "flaky",
      cron: "* * * * * *",
      target: { pcs: ["pc-1"] },
      starting_deadline: "30s",
    };
    const schedule = decodeSchedule({ job_id: "job", ...s }) as Schedule;
    const tickMs = Date.UTC(2030, 0, 1, 9, 0, 0);
    const input = { schedule, terms: engineTerms(schedule), revision: 0, tickMs };
    const first = await runTick(lossy, input);
    assert.equal(first.fired, false);
    assert.equal(!first.fired && first.retry, true, JSON.stringify(first));
    failAck = false;
    const second = await runTick(lossy, input);
    assert.equal(second.fired, true, JSON.stringify(second));
    const ids = await tickIds("flaky", tickMs);
    assert.equal(second.fired && second.exec_id, ids.execId);
    await waitFor(() => h.commands.length === 2, { what: "both publishes" });
    assert.deepEqual(
      h.commands.map((c) => [c.cmd.exec_id, c.cmd.request_id]),
      [[ids.execId, ids.requestId], [ids.execId, ids.requestId]],
      "the repeat is the same Command",
    );
    const rs = await h.b.deps.db.execute("SELECT exec_id FROM executions");
    assert.deepEqual(rowsOf<{ exec_id: string }>(rs).map((r) => r.exec_id), [ids.execId]);
    await waitFor(() => h.audits.some((a) => a.action === "exec"), { what: "exec audit" });
    // The exec record is published by each attempt (it must be stored before any Command);
    // JetStream keeps one: the repeat carries the same message id.
    const audit = await h.b.deps.nats.jsm.streams.info(STREAM.audit, {
      subjects_filter: "audit.scheduler.exec.>",
    });
    assert.deepEqual(audit.state.subjects, { "audit.scheduler.exec.job": 1 }, "audited once");
  }),
});

Deno.test({
  ...T,
  name: "tick: group targets resolve members in both agent_groups shapes, alive only",
  fn: withHarness(async (h) => {
    await h.alive("g-obj", "g-arr", "g-other");
    const old = dbTs(Date.now() - 600_000);
    await h.b.deps.db.execute({
      sql: "INSERT INTO agents (pc_id, last_heartbeat, updated_at) VALUES ('g-dead', ?, ?)",
      args: [old, old],
    });
    const ag = await h.b.deps.nats.kv(BUCKET.agentGroups);
    await ag.put("g-obj", JSON.stringify({ groups: ["canary"] }));
    await ag.put("g-arr", JSON.stringify(["canary", "x"]));
    await ag.put("g-other", JSON.stringify({ groups: ["wave1"] }));
    await ag.put("g-dead", JSON.stringify({ groups: ["canary"] }));
    const out = await h.tick({
      id: "grp",
      cron: "* * * * * *",
      mode: "once_per_pc",
      target: { groups: ["canary"] },
      rollout: { waves: [{ group: "canary", delay: "0s" }] },
    });
    assert.equal(out.fired, true, JSON.stringify(out));
    await waitFor(() => h.commands.length === 2, { what: "two commands" });
    assert.deepEqual(h.commands.map((c) => c.subject).sort(), [
      "commands.pc.g-arr",
      "commands.pc.g-obj",
    ]);
  }),
});

Deno.test({
  ...T,
  name: "tick: dispatch marks stop re-fires while in flight; a finish ends the flight",
  fn: withHarness(async (h) => {
    await h.alive("m-1", "m-2");
    const s = { id: "marks", cron: "* * * * * *", mode: "once_per_pc", target: { all: true } };
    const first = await h.tick(s);
    assert.equal(first.fired, true);
    const kv = h.ctx.dispatchKv;
    const mark = await kv.get(dispatchKeyPc("marks", "m-1"));
    assert.ok(mark && mark.operation === "PUT", "mark written");
    const mv = parseJsonBytes(mark.value) as Record<string, number>;
    // timeout 60 s + 90 s, no jitter → 150 s.
    assert.equal(mv.until_ms - mv.at_ms, 150_000);
    const second = await h.tick(s);
    assert.deepEqual(second, { fired: false, reason: "eligible PCs still in flight" });
    // m-1 failed after the fire: its flight is over, it is eligible again (no success).
    const later = dbTs(Date.now() + 10);
    await h.b.deps.db.execute({
      sql: `INSERT INTO execution_results (result_id, request_id, pc_id, exit_code, started_at,
              finished_at, recorded_at, job_id) VALUES ('f1', 'f1', 'm-1', 1, ?, ?, ?, 'job')`,
      args: [later, later, later],
    });
    await new Promise((r) => setTimeout(r, 20));
    // A fresh context (a new leader) reloads the marks from KV.
    h.ctx.markCache.clear();
    const third = await h.tick(s);
    assert.equal(third.fired, true);
    assert.equal(third.fired && third.pcs, 1);
    await waitFor(() => h.commands.length === 3, { what: "three commands" });
    assert.equal(h.commands[2].subject, "commands.pc.m-1");
  }),
});

Deno.test({
  ...T,
  name: "tick: max_concurrent caps PCs in flight",
  fn: withHarness(async (h) => {
    await h.alive("c-1", "c-2", "c-3", "c-4", "c-5");
    const s = {
      id: "cap",
      when: { per_pc: "once" },
      target: { all: true },
      constraints: { max_concurrent: 2 },
    };
    const a = await h.tick(s);
    assert.equal(a.fired && a.pcs, 2);
    const b = await h.tick(s);
    assert.equal(b.fired, false);
    await waitFor(() => h.commands.length === 2, { what: "two commands" });
    assert.deepEqual(h.commands.map((c) => c.subject), ["commands.pc.c-1", "commands.pc.c-2"]);
  }),
});

Deno.test({
  ...T,
  name: "tick: auto-disable when done writes enabled=false with the revision and audits",
  fn: withHarness(async (h) => {
    await h.alive("d-1");
    const t = dbTs(Date.now() - 1000);
    await h.b.deps.db.execute({
      sql: `INSERT INTO execution_results (result_id, request_id, pc_id, exit_code, started_at,
              finished_at, recorded_at, job_id) VALUES ('ok1', 'ok1', 'd-1', 0, ?, ?, ?, 'job')`,
      args: [t, t, t],
    });
    const raw = {
      id: "done",
      cron: "* * * * * *",
      job_id: "job",
      mode: "once_per_pc",
      auto_disable_when_done: true,
      target: { pcs: ["d-1"] },
    };
    const rev = await h.ctx.schedulesKv.put("done", JSON.stringify(raw));
    // A stale revision (someone edited meanwhile) must not be overwritten.
    const stale = await h.tick(raw, undefined, rev - 1);
    assert.deepEqual(stale, { fired: false, reason: "dedup says skip" });
    assert.notEqual(
      JSON.parse(utf8((await h.ctx.schedulesKv.get("done"))!.value)).enabled,
      false,
    );
    const out = await h.tick(raw, undefined, rev);
    assert.deepEqual(out, { fired: false, reason: "done; auto-disabled" });
    const stored = JSON.parse(utf8((await h.ctx.schedulesKv.get("done"))!.value));
    assert.equal(stored.enabled, false);
    assert.equal(stored.cron, "* * * * * *", "shape kept");
    await waitFor(() => h.audits.some((a) => a.action === "schedule_completed"), {
      what: "audit",
    });
    const a = h.audits.find((x) => x.action === "schedule_completed")!;
    assert.equal(a.actor, "scheduler");
    assert.equal(a.target, "done");
    assert.deepEqual(a.payload, { mode: "once_per_pc", job_id: "job" });
    assert.equal(h.commands.length, 0);
  }),
});

Deno.test({
  ...T,
  name: "tick: skips — missing job, inactive window, skip date, once_per_target empty roster",
  fn: withHarness(async (h) => {
    const tickMs = Date.UTC(2030, 5, 1, 12, 0, 0);
    assert.deepEqual(
      await h.tick({ id: "x", cron: "* * * * * *", job_id: "ghost", target: { all: true } }),
      { fired: false, reason: "job not registered in catalog" },
    );
    const oncePerPc = { id: "x", when: { per_pc: "once" }, target: { all: true }, tz: "utc" };
    assert.deepEqual(
      await h.tick({ ...oncePerPc, active: { from: "2031-01-01" } }, tickMs),
      { fired: false, reason: "before active.from" },
    );
    assert.deepEqual(
      await h.tick({ ...oncePerPc, constraints: { skip_dates: ["2030-06-01"] } }, tickMs),
      { fired: false, reason: "skip date" },
    );
    assert.deepEqual(
      await h.tick({ id: "x", when: { per_target: "once" }, target: { groups: ["none"] } }),
      { fired: false, reason: "dedup says skip" },
    );
    assert.equal(h.commands.length, 0);
  }),
});

Deno.test({
  ...T,
  name: "engine: registration rules and starting_deadline catch-up on leadership",
  fn: async () => {
    const b = await startTestBackend({ waves: false });
    try {
      const jobs = await b.deps.nats.kv(BUCKET.jobs);
      await jobs.put(
        "job",
        JSON.stringify(encodeManifest({
          id: "job",
          version: "1",
          execute: { shell: "cmd", script: "echo", timeout: "10s", run_as: "system" },
          require_approval: false,
          staleness: { mode: "cached" },
        } as unknown as Manifest)),
      );
      const kv = await b.deps.nats.kv(BUCKET.schedules);
      const put = (s: Record<string, unknown>) => kv.put(String(s.id), JSON.stringify(s));
      // Hourly at :00 (minute granularity); only the catch-up can fire it within this test.
      await put({
        id: "late-ok",
        cron: "0 0 * * * *",
        job_id: "job",
        target: { all: true },
        starting_deadline: "2h",
      });
      await put({ id: "late-no", cron: "0 0 * * * *", job_id: "job", target: { all: true } });
      await put({ id: "agent", when: { per_pc: "once" }, job_id: "job", runs_on: "agent" });
      await put({ id: "event", when: { on: ["logon"] }, job_id: "job", runs_on: "agent" });
      await put({ id: "off", cron: "* * * * * *", job_id: "job", enabled: false });
      await put({ id: "badcron", cron: "61 * * * * *", job_id: "job" });
      const fired: string[] = [];
      const s1 = await startScheduler(b.deps, {
        leaseTtlMs: 1500,
        onTick: (id, _t, o) => void (o.fired && fired.push(id)),
      });
      try {
        await waitFor(() => s1.engine.registeredIds().length === 2, { what: "registered" });
        assert.deepEqual(s1.engine.registeredIds(), ["late-no", "late-ok"]);
        await waitFor(() => fired.length === 1, { what: "catch-up fire" });
        assert.deepEqual(fired, ["late-ok"]);
      } finally {
        await s1.stop();
      }
      // A second process gaining leadership does not fire the same tick again (claimed).
      const s2 = await startScheduler(b.deps, {
        leaseTtlMs: 1500,
        onTick: (id, _t, o) => void (o.fired && fired.push(id)),
      });
      try {
        await waitFor(() => s2.engine.isLeader(), { what: "s2 leads" });
        await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual(fired, ["late-ok"]);
      } finally {
        await s2.stop();
      }
      const rs = await b.deps.db.execute("SELECT COUNT(*) AS n FROM executions");
      assert.equal(Number(rowsOf<{ n: number }>(rs)[0].n), 1);
    } finally {
      await b.stop();
    }
  },
});

Deno.test({
  ...T,
  name: "tick: max_concurrent on a whole-target schedule counts its executions in flight",
  fn: withHarness(async (h) => {
    const s = {
      id: "cal-cap",
      when: { calendar: { at: "09:00" } },
      target: { all: true },
      tz: "utc",
      constraints: { max_concurrent: 1 },
    };
    const a = await h.tick(s);
    assert.equal(a.fired, true, JSON.stringify(a));
    assert.deepEqual(await h.tick(s), { fired: false, reason: "max_concurrent reached" });
    await h.b.deps.db.execute("UPDATE executions SET status = 'completed'");
    assert.equal((await h.tick(s)).fired, true, "fires again once the first completed");
  }),
});
