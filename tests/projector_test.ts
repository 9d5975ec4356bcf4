/**
 * Projectors against a real broker and a real libSQL file: the four events.rs cases,
 * counters, poison messages, wipe-and-rebuild. (kill -9: tests/projector_kill_test.ts.)
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { encodeEventStarted, encodeExecResult, type ExecResult } from "../wire/messages.ts";
import { BUCKET, OBJECT_STORE, subjects } from "../wire/names.ts";
import { EXPIRY_SLACK_SECS } from "../projectors/events.ts";
import { jsonBytes } from "../wire/codec.ts";
import { nowDb } from "../wire/time.ts";
import { legacyResultId } from "../projectors/legacy_result_id.ts";
import { startNatsServer } from "./helpers/nats_server.ts";

const T0 = "2026-06-20T00:00:05.120Z";
const T1 = "2026-06-20T00:00:07.004Z";

function result(over: Partial<ExecResult> = {}): ExecResult {
  return {
    result_id: crypto.randomUUID(),
    request_id: crypto.randomUUID(),
    exec_id: null,
    pc_id: "PC1",
    exit_code: 0,
    stdout: "out",
    stderr: "",
    started_at: T0,
    finished_at: T1,
    manifest_id: "job-a",
    ...over,
  } as ExecResult;
}

async function pubResult(b: TestBackend, r: ExecResult) {
  await b.deps.nats.js.publish(subjects.results(r.request_id), jsonBytes(encodeExecResult(r)));
}

async function pubStarted(
  b: TestBackend,
  e: { result_id: string; request_id: string; exec_id: string; pc_id: string },
) {
  await b.deps.nats.js.publish(
    subjects.eventsStarted(e.exec_id, e.pc_id),
    jsonBytes(encodeEventStarted({ ...e, started_at: T0, manifest_id: "job-a", version: "1.0.0" })),
  );
}

async function row(b: TestBackend, id: string) {
  const rs = await b.deps.db.execute({
    sql: "SELECT * FROM execution_results WHERE result_id = ?",
    args: [id],
  });
  return rs.rows[0] as Record<string, unknown> | undefined;
}

async function count(b: TestBackend, sql: string, args: (string | number)[] = []) {
  const rs = await b.deps.db.execute({ sql, args });
  return Number(rs.rows[0]?.[0] ?? rs.rows[0]?.n);
}

/** The row of `r` after its start event came late (a marker start shows it was projected). */
async function afterLateStart(b: TestBackend, r: ExecResult) {
  const execId = r.exec_id!;
  await pubStarted(b, {
    result_id: r.result_id,
    request_id: r.request_id,
    exec_id: execId,
    pc_id: r.pc_id,
  });
  const marker = {
    result_id: crypto.randomUUID(),
    request_id: `m-${execId}`,
    exec_id: execId,
    pc_id: "PCY",
  };
  await pubStarted(b, marker);
  await waitFor(() => row(b, marker.result_id));
  return (await row(b, r.result_id))!;
}

async function insertExecution(b: TestBackend, execId: string, target: number) {
  await b.deps.db.execute({
    sql:
      `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count)
          VALUES (?, 'job-a', '1.0.0', 'test', ?, ?)`,
    args: [execId, nowDb(), target],
  });
}

Deno.test("events projector (events.rs cases)", async (t) => {
  const b = await startTestBackend({ projectors: ["results", "events"] });
  try {
    await t.step("started creates an in-flight row", async () => {
      const e = { result_id: crypto.randomUUID(), request_id: "r1", exec_id: "e1", pc_id: "PC1" };
      await pubStarted(b, e);
      const r = await waitFor(() => row(b, e.result_id), { what: "in-flight row" });
      assert.equal(r.exit_code, null);
      assert.equal(r.finished_at, null);
      assert.equal(r.version, "1.0.0");
      assert.equal(r.job_id, "job-a");
    });
    await t.step("the same started event twice → one row", async () => {
      const e = { result_id: crypto.randomUUID(), request_id: "r2", exec_id: "e2", pc_id: "PC1" };
      await pubStarted(b, e);
      await pubStarted(b, e);
      await waitFor(() => row(b, e.result_id));
      // a marker after both: once it lands, both duplicates were processed
      const marker = {
        result_id: crypto.randomUUID(),
        request_id: "m",
        exec_id: "e2",
        pc_id: "PCX",
      };
      await pubStarted(b, marker);
      await waitFor(() => row(b, marker.result_id));
      assert.equal(
        await count(b, "SELECT COUNT(*) FROM execution_results WHERE result_id = ?", [e.result_id]),
        1,
      );
    });
    await t.step("started after the result leaves the finished row untouched", async () => {
      const r = result({ exec_id: "e3", exit_code: 3, stdout: "done" });
      await pubResult(b, r);
      const before = await waitFor(() => row(b, r.result_id), { what: "finished row" });
      const after = await afterLateStart(b, r);
      for (
        const k of ["exit_code", "stdout", "stderr", "finished_at", "started_at", "recorded_at"]
      ) {
        assert.equal(after[k], before[k], k);
      }
      assert.equal(after.exit_code, 3);
    });
    await t.step(
      "a result of a known execution carries its version; its late start writes nothing",
      async () => {
        await insertExecution(b, "e3v", 1);
        const r = result({ exec_id: "e3v", stdout: "done" });
        await pubResult(b, r);
        const before = await waitFor(() => row(b, r.result_id), { what: "finished row" });
        // The execution's version, as the start event would have said, without one.
        assert.equal(before.version, "1.0.0");
        assert.equal(before.job_id, "job-a");
        const after = await afterLateStart(b, r);
        // Settled: the start was skipped, so not even the in-flight deadline was filled in.
        assert.deepEqual(after, before);
        assert.equal(after.expires_at, null);
      },
    );
    await t.step("one exec to 3 PCs → 3 rows", async () => {
      const ids = ["PCa", "PCb", "PCc"].map((pc) => ({
        result_id: crypto.randomUUID(),
        request_id: "shared-req",
        exec_id: "e4",
        pc_id: pc,
      }));
      for (const e of ids) await pubStarted(b, e);
      await waitFor(async () =>
        (await count(b, "SELECT COUNT(*) FROM execution_results WHERE exec_id = 'e4'")) === 3
      );
    });
    await t.step(
      "in-flight row is finished by its result, recorded_at = publish time",
      async () => {
        const r = result({ exec_id: "e5" });
        await pubStarted(b, {
          result_id: r.result_id,
          request_id: r.request_id,
          exec_id: "e5",
          pc_id: "PC1",
        });
        await waitFor(() => row(b, r.result_id));
        await pubResult(b, r);
        const done = await waitFor(async () => {
          const x = await row(b, r.result_id);
          return x?.finished_at ? x : null;
        });
        assert.equal(done.exit_code, 0);
        assert.equal(done.version, "1.0.0");
        assert.match(String(done.recorded_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
        assert.equal(done.started_at, "2026-06-20T00:00:05.120000000Z");
      },
    );
  } finally {
    await b.stop();
  }
});

Deno.test("results projector counters, redelivery, legacy ids, poison", async (t) => {
  const b = await startTestBackend({ projectors: ["results", "events"] });
  try {
    await t.step(
      "success + failure with target 2 → completed; redelivered result counted once",
      async () => {
        const execId = crypto.randomUUID();
        await insertExecution(b, execId, 2);
        const ok = result({ exec_id: execId, pc_id: "A" });
        const bad = result({ exec_id: execId, pc_id: "B", exit_code: 1 });
        await pubResult(b, ok);
        await pubResult(b, bad);
        await pubResult(b, ok); // agent outbox resend
        const marker = result({ pc_id: "marker" });
        await pubResult(b, marker);
        await waitFor(() => row(b, marker.result_id));
        const e = (await b.deps.db.execute({
          sql: "SELECT * FROM executions WHERE exec_id = ?",
          args: [execId],
        })).rows[0];
        assert.equal(e.success_count, 1);
        assert.equal(e.failure_count, 1);
        assert.equal(e.status, "completed");
      },
    );
    await t.step("one of three → running", async () => {
      const execId = crypto.randomUUID();
      await insertExecution(b, execId, 3);
      const r = result({ exec_id: execId });
      await pubResult(b, r);
      await waitFor(() => row(b, r.result_id));
      const e = (await b.deps.db.execute({
        sql: "SELECT * FROM executions WHERE exec_id = ?",
        args: [execId],
      })).rows[0];
      assert.equal(e.status, "running");
      assert.equal(e.success_count, 1);
    });
    await t.step(
      "broadcast results sharing a request_id stay separate rows; legacy ids dedupe",
      async () => {
        const req = crypto.randomUUID();
        const a = result({ request_id: req, result_id: "", pc_id: "L1" });
        const c = result({ request_id: req, result_id: "", pc_id: "L2" });
        await pubResult(b, a);
        await pubResult(b, c);
        await pubResult(b, a);
        const idA = legacyResultId(req, "L1");
        await waitFor(() => row(b, legacyResultId(req, "L2")));
        assert.ok(await row(b, idA));
        assert.equal(
          await count(b, "SELECT COUNT(*) FROM execution_results WHERE request_id = ?", [req]),
          2,
        );
      },
    );
    await t.step(
      "poison among good messages: good ones land, poison recorded and terminated",
      async () => {
        const good = Array.from({ length: 20 }, (_, i) => result({ pc_id: `G${i}` }));
        for (let i = 0; i < good.length; i++) {
          await pubResult(b, good[i]);
          if (i % 5 === 0) {
            await b.deps.nats.js.publish(
              subjects.results(`poison-${i}`),
              new TextEncoder().encode(i % 10 ? "{not json" : `{"request_id":1}`),
            );
          }
        }
        for (const g of good) await waitFor(() => row(b, g.result_id), { what: g.pc_id });
        const rejects = await waitFor(async () => {
          const n = await count(
            b,
            "SELECT COUNT(*) FROM projection_rejects WHERE stream = 'RESULTS'",
          );
          return n === 4 ? n : 0;
        }, { what: "4 rejects" });
        assert.equal(rejects, 4);
        // The stream does not stall: a later message still lands, and nothing is pending.
        const later = result({ pc_id: "later" });
        await pubResult(b, later);
        await waitFor(() => row(b, later.result_id));
        await waitFor(async () => {
          const info = await b.deps.nats.jsm.consumers.info("RESULTS", "backend_results_projector");
          return info.num_ack_pending === 0 && info.num_pending === 0;
        }, { what: "consumer drained" });
      },
    );
  } finally {
    await b.stop();
  }
});

Deno.test("a wiped DB rebuilds from the streams with identical rows (recorded_at included)", async () => {
  const broker = await startNatsServer();
  const names = ["results", "events", "audit", "obs"];
  const b = await startTestBackend({ broker, projectors: names });
  let b2: TestBackend | null = null;
  const snapshot = async (x: TestBackend) => ({
    results: (await x.deps.db.execute("SELECT * FROM execution_results ORDER BY result_id")).rows,
    audit: (await x.deps.db.execute("SELECT * FROM audit_log ORDER BY stream_seq")).rows,
    obs: (await x.deps.db.execute("SELECT * FROM obs_events ORDER BY id")).rows,
  });
  const complete = (s: Awaited<ReturnType<typeof snapshot>>) =>
    s.results.length === 30 && s.results.filter((r) => r.finished_at).length === 25 &&
    s.audit.length === 2 && s.obs.length === 1;
  try {
    const execId = crypto.randomUUID();
    for (let i = 0; i < 30; i++) {
      const r = result({ exec_id: execId, pc_id: `W${i}`, exit_code: i % 3, stdout: `o${i}` });
      if (i % 2 === 0 || i >= 25) {
        await pubStarted(b, {
          result_id: r.result_id,
          request_id: r.request_id,
          exec_id: execId,
          pc_id: r.pc_id,
        });
      }
      if (i < 25) await pubResult(b, r); // 5 stay in flight
    }
    for (const action of ["job_upsert", "exec"]) {
      await b.deps.nats.js.publish(
        `audit.operator.${action}.x`,
        jsonBytes({ actor: "operator", action, target: "x", payload: { a: 1 }, occurred_at: T0 }),
      );
    }
    await b.deps.nats.js.publish(
      subjects.obs("PC1"),
      jsonBytes({
        pc_id: "PC1",
        at: T0,
        kind: "boot",
        source: "agent:internal",
        event_record_id: null,
        payload: null,
      }),
    );
    await waitFor(async () => {
      const s = await snapshot(b);
      return complete(s);
    }, { what: "first projection" });
    const before = await snapshot(b);
    await b.stop();
    // A brand-new, empty DB on the same broker: the empty tables reset the durables.
    b2 = await startTestBackend({ broker, projectors: names });
    const after = await waitFor(async () => {
      const s = await snapshot(b2!);
      return complete(s) ? s : null;
    }, { what: "rebuilt projection" });
    assert.deepEqual(after.results, before.results);
    assert.deepEqual(after.audit, before.audit);
    assert.deepEqual(after.obs, before.obs);
  } finally {
    await b2?.stop();
    await broker.stop();
  }
});

/** Another process holding the DB write lock for `ms` (libSQL calls block the event loop,
 * so the lock holder must not live in the projector's process). */
async function lockFromOtherProcess(dbUrl: string, ms: number) {
  const code = `
    import { createClient } from "@libsql/client";
    const db = createClient({ url: ${JSON.stringify(dbUrl)} });
    const tx = await db.transaction("write");
    console.log("locked");
    await new Promise((r) => setTimeout(r, ${ms}));
    await tx.rollback();
    db.close();
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("lock holder exited early");
    out += value;
  }
  reader.releaseLock();
  return { done: child.status.then(() => child.stdout.cancel().catch(() => {})) };
}

Deno.test("a write-locked database delays projection without losing or doubling", async () => {
  const b = await startTestBackend({ projectors: ["results"] });
  try {
    const execId = crypto.randomUUID();
    await insertExecution(b, execId, 1);
    const lock = await lockFromOtherProcess(b.dbUrl, 1500);
    const t0 = Date.now();
    const r = result({ exec_id: execId });
    await pubResult(b, r);
    await waitFor(() => row(b, r.result_id), { timeoutMs: 40_000, what: "row after unlock" });
    assert.ok(Date.now() - t0 >= 1000, "projected while the lock was held?");
    await lock.done;
    const e = (await b.deps.db.execute({
      sql: "SELECT * FROM executions WHERE exec_id = ?",
      args: [execId],
    })).rows[0];
    assert.equal(e.success_count, 1);
    assert.equal(e.status, "completed");
  } finally {
    await b.stop();
  }
});

Deno.test("overflow output is read from result_output; a missing object projects empty text", async () => {
  const b = await startTestBackend({ projectors: ["results"] });
  try {
    const store = await b.deps.nats.obj(OBJECT_STORE.resultOutput);
    const big = "line\n".repeat(60_000); // 300 KB, above the inline threshold
    const req = crypto.randomUUID();
    await store.putBlob({ name: `${req}/stdout` }, new TextEncoder().encode(big));
    const withObject = result({ request_id: req, stdout: "", stdout_object: `${req}/stdout` });
    const missing = result({ stdout: "", stderr: "inline err", stderr_object: "nope/stderr" });
    await pubResult(b, missing);
    await pubResult(b, withObject);
    const r1 = await waitFor(() => row(b, withObject.result_id), { what: "overflow row" });
    assert.equal(r1.stdout, big);
    const r2 = await waitFor(() => row(b, missing.result_id), { what: "missing-object row" });
    assert.equal(r2.stderr, "");
    assert.equal(r2.exit_code, 0);
  } finally {
    await b.stop();
  }
});

Deno.test("started rows get a per-run deadline from the manifest timeout", async () => {
  const b = await startTestBackend({ projectors: ["events"] });
  try {
    const kv = await b.deps.nats.kv(BUCKET.jobs);
    await kv.put(
      "job-t",
      JSON.stringify({
        id: "job-t",
        version: "1",
        execute: { shell: "cmd", script: "x", timeout: "1m" },
      }),
    );
    const id = crypto.randomUUID();
    await waitFor(async () => {
      // the KV watch may need a moment: publish until the deadline shows up
      await b.deps.nats.js.publish(
        subjects.eventsStarted("e-t", "PC1"),
        jsonBytes(encodeEventStarted({
          result_id: id,
          request_id: "r",
          exec_id: "e-t",
          pc_id: "PC1",
          started_at: T0,
          manifest_id: "job-t",
          version: "1",
        })),
      );
      const r = await row(b, id);
      return r?.expires_at ? r : null;
    }, { what: "expires_at" }).then((r) => {
      const secs = (Date.parse(String(r.expires_at)) - Date.parse(String(r.recorded_at))) / 1000;
      // a re-publish may fill the deadline from its own (slightly later) publish time
      assert.ok(secs >= 60 + EXPIRY_SLACK_SECS && secs < 60 + EXPIRY_SLACK_SECS + 15, String(secs));
    });
  } finally {
    await b.stop();
  }
});
