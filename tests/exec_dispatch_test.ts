/**
 * dispatchExec as the scheduler calls it (actor, retry, deadline, no caller), the
 * target_count fallbacks, and a publish failure (502, no executions row left behind).
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { withAgentDoubles } from "./helpers/agent_double.ts";
import { dispatchExec } from "../lib/exec/dispatch.ts";
import { InternalError, UpstreamError, ValidationError } from "../lib/errors.ts";
import type { Deps } from "../lib/deps.ts";
import type { Db } from "../db/client.ts";
import { FanoutPlanSchema } from "../wire/fanout.ts";
import { decodeManifest, type Manifest } from "../wire/manifest.ts";
import { parseJsonBytes, utf8 } from "../wire/codec.ts";
import { BUCKET } from "../wire/names.ts";
import { kvSnapshot } from "../lib/kv.ts";
import { isRevisionConflict } from "../lib/kv.ts";

const manifest = decodeManifest({
  id: "sched-job",
  version: "4.2.0",
  execute: { shell: "powershell", script: "Do-It", timeout: "10m", run_as: "system_gui" },
  staleness: { mode: "strict", max_cache_age: "1h" },
  emit: { type: "events" },
}) as Manifest;

Deno.test("scheduler-style dispatch: retry, deadline, actor, no caller", async () => {
  await withAgentDoubles({ waves: false }, async (be, startAgents) => {
    const agents = await startAgents({ "PC-S1": {} });
    const a = agents.agents["PC-S1"];
    const r = await dispatchExec(be.deps, {
      manifest,
      plan: FanoutPlanSchema.parse({ target: { pcs: ["PC-S1"] }, jitter: "1m 30s" }),
      actor: "scheduler",
      retry: { max: 3, backoff_secs: 600 },
      deadlineAt: "2026-06-20T01:00:00.000+00:00",
    });
    assert.equal(r.target_count, 1);
    // Stored in EXEC (what an agent that missed it replays) by the time dispatch returns.
    const stored = await be.deps.nats.jsm.streams.getMessage("EXEC", {
      last_by_subj: "commands.pc.PC-S1",
    });
    assert.equal(JSON.parse(utf8(stored!.data)).exec_id, r.exec_id);
    await waitFor(() => a.received.length === 1, { what: "command" });
    const cmd = JSON.parse(a.received[0].raw);
    assert.equal(
      a.received[0].raw,
      JSON.stringify({
        id: "sched-job",
        version: "4.2.0",
        request_id: cmd.request_id,
        exec_id: r.exec_id,
        shell: "powershell",
        script: "Do-It",
        timeout_secs: 600,
        jitter_secs: 90,
        run_as: "system_gui",
        deadline_at: "2026-06-20T01:00:00Z",
        staleness: { mode: "strict", max_cache_age: "1h" },
        emit: { type: "events" },
        retry: { max: 3, backoff_secs: 600 },
      }),
    );
    const row = await be.deps.db.execute({
      sql: "SELECT initiated_by FROM executions WHERE exec_id = ?",
      args: [r.exec_id],
    });
    assert.equal(row.rows[0].initiated_by, "scheduler");
    const m = await be.deps.nats.jsm.streams.getMessage("AUDIT", {
      last_by_subj: "audit.scheduler.exec.sched-job",
    });
    const ev = parseJsonBytes(m!.data) as { actor: string; payload: Record<string, unknown> };
    assert.equal(ev.actor, "scheduler");
    assert.deepEqual(ev.payload, {
      exec_id: r.exec_id,
      version: "4.2.0",
      target_count: 1,
      subjects: ["commands.pc.PC-S1"],
      wave_mode: false,
    });

    await assert.rejects(
      dispatchExec(be.deps, {
        manifest,
        plan: FanoutPlanSchema.parse({ target: { all: true } }),
        actor: "scheduler",
        deadlineAt: "not a time",
      }),
      (e) => e instanceof ValidationError && /^invalid deadline_at/.test(e.message),
    );
  });
});

Deno.test("target_count: floor 1 with nobody alive, subject count when resolution fails", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    const plan = FanoutPlanSchema.parse({ target: { all: true, groups: ["g1", "g2"] } });
    const r0 = await dispatchExec(be.deps, { manifest, plan, actor: "operator" });
    assert.equal(r0.target_count, 1, "zero alive PCs floors at 1");

    // A DB that cannot read agents: the per-subject count is used instead.
    const sqlOf = (stmt: string | { sql: string }) => typeof stmt === "string" ? stmt : stmt.sql;
    const db = new Proxy(be.deps.db, {
      get(target, prop, recv) {
        if (prop === "execute") {
          return (stmt: string | { sql: string }) => {
            if (sqlOf(stmt).includes("FROM agents")) {
              return Promise.reject(new Error("agents unreadable"));
            }
            return target.execute(stmt as never);
          };
        }
        if (prop === "batch") {
          return (stmts: (string | { sql: string })[], mode?: string) => {
            if (stmts.some((st) => sqlOf(st).includes("FROM agents"))) {
              return Promise.reject(new Error("agents unreadable"));
            }
            return target.batch(stmts as never, mode as never);
          };
        }
        return Reflect.get(target, prop, recv);
      },
    }) as Db;
    const r1 = await dispatchExec({ ...be.deps, db }, { manifest, plan, actor: "operator" });
    assert.equal(r1.target_count, 3);
    const waves = FanoutPlanSchema.parse({
      rollout: { waves: [{ group: "a", delay: "1h" }, { group: "b", delay: "2h" }] },
    });
    const r2 = await dispatchExec({ ...be.deps, db }, { manifest, plan: waves, actor: "operator" });
    assert.equal(r2.target_count, 2);
  } finally {
    await be.stop();
  }
});

Deno.test("a publish failure answers 502 and leaves no executions row", async () => {
  const be = await startTestBackend({ waves: false });
  const nc = await connect({ servers: be.broker.url });
  await nc.close();
  try {
    const deps: Deps = { ...be.deps, nats: { ...be.deps.nats, nc } };
    await assert.rejects(
      dispatchExec(deps, {
        manifest,
        plan: FanoutPlanSchema.parse({ target: { all: true } }),
        actor: "operator",
      }),
      (e) => e instanceof UpstreamError && /^publish to commands\.all: /.test(e.message),
    );
    // Wave path: the first wave fails, so the later ones are cancelled, never sent.
    await assert.rejects(
      dispatchExec(deps, {
        manifest,
        plan: FanoutPlanSchema.parse({
          rollout: { waves: [{ group: "a", delay: "0s" }, { group: "b", delay: "1s" }] },
        }),
        actor: "operator",
      }),
      (e) => e instanceof UpstreamError && /^publish rollout wave: /.test(e.message),
    );
    const n = await be.deps.db.execute("SELECT COUNT(*) AS n FROM executions");
    assert.equal(n.rows[0].n, 0);
    const recs = await kvSnapshot(be.deps.nats, BUCKET.pendingWaves);
    assert.equal(recs.length, 1);
    const waves = (parseJsonBytes(recs[0].value) as { waves: { state: string; reason: string }[] })
      .waves;
    assert.deepEqual(waves.map((w) => w.state), ["skipped", "skipped"]);
    assert.equal(waves[1].reason, "exec failed: first wave not published");
  } finally {
    await be.stop();
  }
});

Deno.test("an executions row that cannot be written: nothing published, a stored record is marked aborted", async () => {
  const be = await startTestBackend({ waves: false });
  const seen: string[] = [];
  const tap = await connect({ servers: be.broker.url });
  const sub = tap.subscribe("commands.>", { callback: (_e, m) => void seen.push(m.subject) });
  await tap.flush();
  try {
    // The row insert fails for good (not busy): the fresh exec wrote its record beside it.
    const db = new Proxy(be.deps.db, {
      get(target, prop, recv) {
        if (prop === "execute") {
          return (stmt: string | { sql: string }) =>
            (typeof stmt === "string" ? stmt : stmt.sql).includes("INSERT INTO executions")
              ? Promise.reject(new Error("disk I/O error"))
              : target.execute(stmt as never);
        }
        return Reflect.get(target, prop, recv);
      },
    }) as Db;
    const deps: Deps = { ...be.deps, db };
    const plan = FanoutPlanSchema.parse({ target: { all: true } });
    const fresh = await dispatchExec(deps, { manifest, plan, actor: "operator" })
      .then(() => null, (e) => e as Error);
    assert.ok(fresh instanceof InternalError, String(fresh));
    assert.match(fresh.message, /^insert executions: disk I\/O error/);
    const audit = async (action: string) => {
      const m = await be.deps.nats.jsm.streams.getMessage("AUDIT", {
        last_by_subj: `audit.operator.${action}.sched-job`,
      }).catch(() => null);
      return m ? parseJsonBytes(m.data) as { payload: Record<string, unknown> } : null;
    };
    const rec = await audit("exec");
    const aborted = await audit("exec_aborted");
    assert.ok(rec && aborted, "the record and its abort are both in AUDIT");
    assert.equal(aborted.payload.exec_id, rec.payload.exec_id);
    assert.equal(aborted.payload.reason, "executions row not written");

    // A scheduler repeat (fixed ids) writes its row first: no record at all.
    const ids = { execId: crypto.randomUUID(), requestId: crypto.randomUUID() };
    await assert.rejects(
      dispatchExec(deps, { manifest, plan, actor: "scheduler", ids }),
      (e) => e instanceof InternalError,
    );
    assert.equal(await audit("exec").then((r) => r?.payload.exec_id), rec.payload.exec_id);
    const sched = await be.deps.nats.jsm.streams.getMessage("AUDIT", {
      last_by_subj: "audit.scheduler.exec.sched-job",
    }).catch(() => null);
    assert.equal(sched, null, "no scheduler record without its row");

    await tap.flush();
    await new Promise((r) => setTimeout(r, 200)); // a stray Command would have arrived
    assert.deepEqual(seen, [], "no Command on any subject");
    const n = await be.deps.db.execute("SELECT COUNT(*) AS n FROM executions");
    assert.equal(n.rows[0].n, 0);
  } finally {
    sub.unsubscribe();
    await tap.close();
    await be.stop();
  }
});

Deno.test("revision conflicts are recognised (the wave claim relies on it)", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    const kv = await be.deps.nats.kv(BUCKET.pendingWaves);
    const rev = await kv.put("k", "1");
    await kv.put("k", "2");
    const err = await kv.update("k", "3", rev).then(() => null, (e) => e);
    assert.ok(err);
    assert.equal(isRevisionConflict(err), true);
    assert.equal(isRevisionConflict(new Error("connection closed")), false);
  } finally {
    await be.stop();
  }
});
