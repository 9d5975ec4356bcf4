/**
 * The audit projector recreates a missing `executions` row from its `exec` audit event
 * (local read models, wiped DBs), counting results that were projected before it.
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { dbTs } from "../wire/time.ts";
import { recordAudit } from "../lib/audit.ts";
import { firstRow } from "../db/client.ts";

Deno.test("exec audit event recreates its executions row with counters from earlier results", async () => {
  const be = await startTestBackend({ projectors: ["results", "audit"], waves: false });
  try {
    const execId = crypto.randomUUID();
    const result = (pc: string, exit: number) =>
      encodeExecResult({
        result_id: crypto.randomUUID(),
        request_id: "req-1",
        exec_id: execId,
        pc_id: pc,
        exit_code: exit,
        stdout: "",
        stderr: "",
        started_at: "2026-11-22T10:00:00Z",
        finished_at: "2026-11-22T10:00:01Z",
        manifest_id: "job-a",
      });
    // Two results land before the execution is known.
    await be.deps.nats.js.publish(subjects.results("req-1"), jsonBytes(result("PC1", 0)));
    await be.deps.nats.js.publish(subjects.results("req-1"), jsonBytes(result("PC2", 3)));
    await waitFor(async () =>
      (firstRow<{ n: number }>(
        await be.deps.db.execute({
          sql: "SELECT COUNT(*) AS n FROM execution_results WHERE exec_id = ?",
          args: [execId],
        }),
      )?.n ?? 0) === 2, { what: "results projected" });

    await recordAudit(be.deps.nats, {
      actor: "operator",
      action: "exec",
      occurredAt: "2026-11-22T09:59:59.5Z",
      target: "job-a",
      payload: {
        exec_id: execId,
        version: "1.2.3",
        target_count: 3,
        subjects: ["commands.all"],
        wave_mode: false,
      },
    });
    const row = await waitFor(async () =>
      firstRow<Record<string, unknown>>(
        await be.deps.db.execute({
          sql: "SELECT * FROM executions WHERE exec_id = ?",
          args: [execId],
        }),
      ), { what: "executions row from the audit event" });
    assert.equal(row.job_id, "job-a");
    assert.equal(row.version, "1.2.3");
    assert.equal(row.initiated_by, "operator");
    assert.equal(row.initiated_at, dbTs("2026-11-22T09:59:59.5Z"));
    assert.equal(row.target_count, 3);
    assert.equal(row.success_count, 1);
    assert.equal(row.failure_count, 1);
    assert.equal(row.status, "running");

    // The third result completes it through the normal counter path, counted once.
    await be.deps.nats.js.publish(subjects.results("req-1"), jsonBytes(result("PC3", 0)));
    const done = await waitFor(async () => {
      const r = firstRow<Record<string, unknown>>(
        await be.deps.db.execute({
          sql: "SELECT * FROM executions WHERE exec_id = ?",
          args: [execId],
        }),
      );
      return r?.status === "completed" ? r : null;
    }, { what: "completed" });
    assert.equal(done.success_count, 2);
    assert.equal(done.failure_count, 1);

    // A row the dispatching API wrote is never overwritten by its audit event.
    const other = crypto.randomUUID();
    await be.deps.db.execute({
      sql:
        `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count, status)
            VALUES (?, 'job-b', '9', 'operator', ?, 7, 'pending')`,
      args: [other, dbTs("2026-11-22T11:00:00Z")],
    });
    await recordAudit(be.deps.nats, {
      action: "exec",
      target: "job-b",
      payload: {
        exec_id: other,
        version: "WRONG",
        target_count: 1,
        subjects: [],
        wave_mode: false,
      },
    });
    await waitFor(async () =>
      (firstRow<{ n: number }>(
        await be.deps.db.execute({
          sql: "SELECT COUNT(*) AS n FROM audit_log WHERE target = 'job-b'",
          args: [],
        }),
      )?.n ?? 0) === 1, { what: "second audit projected" });
    const kept = firstRow<Record<string, unknown>>(
      await be.deps.db.execute({
        sql: "SELECT * FROM executions WHERE exec_id = ?",
        args: [other],
      }),
    );
    assert.equal(kept?.version, "9");
    assert.equal(kept?.target_count, 7);
  } finally {
    await be.stop();
  }
});
