/**
 * An operator's Clear of a compliance check sticks: a result published before it but
 * projected after (a stopped or lagging projector) does not bring the row back, a result
 * published after it does, and a database rebuilt from the RESULTS and AUDIT streams ends
 * with the same rows and clear marks, whichever stream its projectors replay first. Real
 * broker, real libSQL files, the API's DELETE.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startNatsServer } from "./helpers/nats_server.ts";
import { openSse } from "./helpers/sse.ts";
import { jobResult, publishAndSettle, publishResults } from "./helpers/results.ts";
import { startProjectors } from "../projectors/mod.ts";
import type { Component } from "../lib/component.ts";

const job = (id: string, name: string) => ({
  id,
  version: "1.0.0",
  execute: { shell: "powershell", script: "Test-Thing", timeout: "60s" },
  check: { name },
});
const status = (pc: string, jobId: string, s: string) =>
  jobResult(pc, jobId, { stdout: JSON.stringify({ status: s }) });

const snapshot = async (b: TestBackend) => ({
  status: (await b.deps.db.execute(
    "SELECT pc_id, check_name, status, recorded_at FROM check_status ORDER BY check_name, pc_id",
  )).rows.map((r) => [r.pc_id, r.check_name, r.status, r.recorded_at]),
  clears: (await b.deps.db.execute(
    "SELECT check_name, pc_id, cleared_at FROM check_clears ORDER BY check_name, pc_id",
  )).rows.map((r) => [r.check_name, r.pc_id, r.cleared_at]),
});

const projected = (b: TestBackend, resultId: string) =>
  waitFor(async () =>
    Number(
      (await b.deps.db.execute({
        sql: "SELECT COUNT(*) FROM execution_results WHERE result_id = ?",
        args: [resultId],
      })).rows[0][0],
    ) === 1, { timeoutMs: 30_000, what: `result ${resultId}` });

Deno.test("a check's Clear sticks: late and replayed results from before it stay out, a rebuild agrees", async () => {
  const broker = await startNatsServer();
  let first: TestBackend | null = null;
  let second: TestBackend | null = null;
  let projectors: Component | null = null;
  try {
    first = await startTestBackend({ broker, projectors: false, waves: false });
    const b = first;
    await b.json("POST", "/api/jobs", job("chk-bitlocker", "bitlocker"));
    await b.json("POST", "/api/jobs", job("chk-disk", "disk"));
    projectors = await startProjectors(b.deps, { only: ["results", "audit"] });
    await publishAndSettle(
      b,
      status("PC1", "chk-bitlocker", "fail"),
      status("PC2", "chk-bitlocker", "fail"),
      status("PC3", "chk-bitlocker", "ok"),
      status("PC1", "chk-disk", "ok"),
      status("PC2", "chk-disk", "warn"),
    );

    // A result on its way while the operator clears: published now, projected later.
    await projectors.stop();
    projectors = null;
    const late = status("PC4", "chk-bitlocker", "fail");
    const lateOne = status("PC1", "chk-disk", "warn"); // for the clear of one PC
    await publishResults(b, lateOne, late);

    const sse = await openSse(b, "?kinds=check");
    try {
      const del = (path: string) => b.json<{ deleted: number }>("DELETE", path);
      assert.deepEqual(await del("/api/checks/bitlocker"), { deleted: 3 });
      assert.deepEqual(await del("/api/checks/disk?pc_id=PC1"), { deleted: 1 });
      await waitFor(() => sse.text().includes('"cleared":3'), { what: "the clear's notice" });
    } finally {
      await sse.close();
    }

    projectors = await startProjectors(b.deps, { only: ["results", "audit"] });
    await projected(b, late.result_id);
    const cleared = await snapshot(b);
    assert.deepEqual(cleared.status.map((r) => r.slice(0, 3)), [["PC2", "disk", "warn"]]);
    assert.deepEqual(cleared.clears.map((r) => r.slice(0, 2)), [["bitlocker", ""], [
      "disk",
      "PC1",
    ]]);

    // After the clear a PC reports again: its row is back.
    await publishAndSettle(
      b,
      status("PC2", "chk-bitlocker", "warn"),
      status("PC1", "chk-disk", "fail"),
    );
    const before = await snapshot(b);
    assert.deepEqual(before.status.map((r) => r.slice(0, 3)), [
      ["PC2", "bitlocker", "warn"],
      ["PC1", "disk", "fail"],
      ["PC2", "disk", "warn"],
    ]);
    await waitFor(async () =>
      Number(
        (await b.deps.db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'check_clear'"))
          .rows[0][0],
      ) === 2, { what: "both clears audited" });
    await projectors.stop();
    projectors = null;
    await first.stop();
    first = null;

    // A brand-new database on the same broker: RESULTS and AUDIT replay, in either order.
    second = await startTestBackend({ broker, projectors: ["results", "audit"], waves: false });
    const after = await waitFor(async () => {
      const s = await snapshot(second!);
      return JSON.stringify(s) === JSON.stringify(before) ? s : null;
    }, { timeoutMs: 30_000, what: "the rebuilt checks and clear marks" });
    assert.deepEqual(after, before);
  } finally {
    await projectors?.stop();
    await first?.stop();
    await second?.stop();
    await broker.stop();
  }
});
