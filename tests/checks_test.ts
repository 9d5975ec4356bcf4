/**
 * Compliance checks end to end: job manifests with a `check:` hint registered through the
 * API, ExecResults published to a real broker, projected into a real libSQL file on both
 * write paths (main thread and writer thread), read back through GET /api/checks; the
 * newer-wins rule with a real out-of-order redelivery, the wipe-and-rebuild, every query
 * parameter and its 400, Clear with its audit, and the live change notice.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startNatsServer } from "./helpers/nats_server.ts";
import { openSse } from "./helpers/sse.ts";
import { jobResult, publishAndSettle } from "./helpers/results.ts";
import type { ExecResult } from "../wire/messages.ts";
import { dbTs } from "../wire/time.ts";
import { startProjectors } from "../projectors/mod.ts";
import type { Component } from "../lib/component.ts";

const job = (id: string, check: Record<string, unknown> | undefined) => ({
  id,
  version: "1.0.0",
  execute: { shell: "powershell", script: "Test-Thing", timeout: "60s" },
  ...(check ? { check } : {}),
});

const JOBS = [
  job("chk-bitlocker", { name: "bitlocker", label: "BitLocker on" }),
  job("chk-disk", { name: "disk", status_field: "state", detail_field: "why" }),
  job("chk-local", { name: "local-only", fleet: false }),
  job("plain", undefined),
];

const result = jobResult;
const ok = (pc: string, jobId: string, doc: unknown) =>
  result(pc, jobId, { stdout: JSON.stringify(doc) });

async function rowCount(b: TestBackend, sql: string, args: string[] = []) {
  return Number((await b.deps.db.execute({ sql, args })).rows[0][0]);
}

async function checkRows(b: TestBackend) {
  const rs = await b.deps.db.execute(
    "SELECT pc_id, check_name, label, status, detail FROM check_status ORDER BY check_name, pc_id",
  );
  return rs.rows.map((r) => [r.pc_id, r.check_name, r.label, r.status, r.detail]);
}

async function transitions(b: TestBackend, pc: string) {
  const rs = await b.deps.db.execute({
    sql: `SELECT check_name, from_status, to_status FROM check_transitions
          WHERE pc_id = ? ORDER BY recorded_at, id`,
    args: [pc],
  });
  return rs.rows.map((r) => `${r.check_name} ${r.from_status ?? "-"}>${r.to_status}`);
}

/** A backend whose results projector starts only after the jobs are in the manifest cache. */
async function backendWithJobs(env: Record<string, string>, extra: string[] = []) {
  const b = await startTestBackend({ projectors: false, waves: false, env });
  for (const j of JOBS) await b.json("POST", "/api/jobs", j);
  const projectors: Component = await startProjectors(b.deps, {
    only: ["results", ...extra],
    js: { nakDelayMs: 300 },
  });
  return {
    b,
    async stop() {
      await projectors.stop();
      await b.stop();
    },
  };
}

async function projectionScenario(b: TestBackend, t: Deno.TestContext) {
  await t.step(
    "statuses, details, labels; fleet:false and plain jobs project nothing",
    async () => {
      await publishAndSettle(
        b,
        ok("PC1", "chk-bitlocker", { status: "ok", detail: "C: protected" }),
        ok("PC2", "chk-bitlocker", { status: "fail", detail: { volumes: ["C:"], on: false } }),
        ok("PC3", "chk-bitlocker", { status: "FAIL", detail: 3 }),
        ok("PC1", "chk-disk", { state: "warn", why: "91%", status: "ok" }),
        result("PC2", "chk-disk", { exit_code: 2, stderr: "  Get-Volume: access denied \n" }),
        ok("PC1", "chk-local", { status: "fail" }),
        ok("PC1", "plain", { status: "fail" }),
      );
      assert.deepEqual(await checkRows(b), [
        ["PC1", "bitlocker", "BitLocker on", "ok", "C: protected"],
        ["PC2", "bitlocker", "BitLocker on", "fail", '{"volumes":["C:"],"on":false}'],
        ["PC3", "bitlocker", "BitLocker on", "unknown", "3"],
        ["PC1", "disk", null, "warn", "91%"],
        ["PC2", "disk", null, "unknown", "check script exited 2: Get-Volume: access denied"],
      ]);
      const rec = await b.deps.db.execute(
        "SELECT c.recorded_at, r.recorded_at AS r FROM check_status c JOIN execution_results r ON r.pc_id = c.pc_id AND r.job_id = 'chk-bitlocker' WHERE c.pc_id = 'PC1' AND c.check_name = 'bitlocker'",
      );
      assert.equal(rec.rows[0].recorded_at, rec.rows[0].r, "recorded_at is the publish time");
    },
  );

  await t.step(
    "poison stdout is skipped; synthetic skips are ignored; the stream goes on",
    async () => {
      await publishAndSettle(
        b,
        result("PC1", "chk-bitlocker", { stdout: "status: fail (not JSON)" }),
        result("PC1", "chk-bitlocker", {
          exit_code: 126,
          stderr: "skipped: command was revoked (script_status[chk-bitlocker] = revoked)",
        }),
        ok("PC4", "chk-bitlocker", { status: "warn" }),
      );
      const rows = await checkRows(b);
      assert.deepEqual(rows.find((r) => r[0] === "PC1" && r[1] === "bitlocker")?.[3], "ok");
      assert.deepEqual(rows.find((r) => r[0] === "PC4")?.[3], "warn");
    },
  );

  await t.step("only status changes are transitions", async () => {
    await publishAndSettle(
      b,
      ok("PC1", "chk-bitlocker", { status: "ok", detail: "again" }),
      ok("PC1", "chk-bitlocker", { status: "fail" }),
      ok("PC1", "chk-bitlocker", { status: "fail", detail: "still" }),
      ok("PC1", "chk-bitlocker", { status: "ok" }),
    );
    assert.deepEqual(await transitions(b, "PC1"), [
      "bitlocker ->ok",
      "disk ->warn",
      "bitlocker ok>fail",
      "bitlocker fail>ok",
    ]);
  });

  await t.step("an older result redelivered after a newer one changes nothing", async () => {
    const older = ok("PC5", "chk-bitlocker", { status: "fail", detail: "older" });
    const newer = ok("PC5", "chk-bitlocker", { status: "ok", detail: "newer" });
    // The older result's row is refused for now: its batch fails, it is nak'd and comes
    // back after the newer one was projected (a real redelivery out of order).
    await b.deps.db.execute(
      `CREATE TRIGGER test_refuse_older BEFORE INSERT ON execution_results
       WHEN NEW.result_id = '${older.result_id}' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
    await publishAndSettle(b, older, newer);
    assert.equal(
      await rowCount(b, "SELECT COUNT(*) FROM execution_results WHERE result_id = ?", [
        older.result_id,
      ]),
      0,
    );
    await b.deps.db.execute("DROP TRIGGER test_refuse_older");
    await waitFor(
      async () =>
        await rowCount(b, "SELECT COUNT(*) FROM execution_results WHERE result_id = ?", [
          older.result_id,
        ]) === 1,
      { timeoutMs: 30_000, what: "the older result redelivered" },
    );
    const row = (await checkRows(b)).find((r) => r[0] === "PC5");
    assert.deepEqual(row?.slice(3), ["ok", "newer"]);
    assert.deepEqual(await transitions(b, "PC5"), ["bitlocker ->ok"]);
  });
}

Deno.test("check projection (main-thread writer)", async (t) => {
  const x = await backendWithJobs({ KANADE_RESULTS_WRITER_THREAD: "0" });
  try {
    await projectionScenario(x.b, t);
  } finally {
    await x.stop();
  }
});

Deno.test("check projection (writer thread)", async (t) => {
  const x = await backendWithJobs({ KANADE_RESULTS_WRITER_THREAD: "1" });
  try {
    await projectionScenario(x.b, t);
  } finally {
    await x.stop();
  }
});

Deno.test("a wiped database rebuilds check_status and its transitions identically", async () => {
  const broker = await startNatsServer();
  const snapshot = async (b: TestBackend) => ({
    status: (await b.deps.db.execute("SELECT * FROM check_status ORDER BY pc_id, check_name"))
      .rows,
    transitions: (await b.deps.db.execute(
      `SELECT pc_id, check_name, label, from_status, to_status, detail, recorded_at
       FROM check_transitions ORDER BY recorded_at, pc_id, check_name`,
    )).rows,
  });
  let first: TestBackend | null = null;
  let second: TestBackend | null = null;
  try {
    first = await startTestBackend({ broker, projectors: false, waves: false });
    for (const j of JOBS) await first.json("POST", "/api/jobs", j);
    const p1 = await startProjectors(first.deps, { only: ["results"] });
    const rs: ExecResult[] = [];
    for (let i = 0; i < 12; i++) {
      rs.push(ok(`PC${i % 4}`, "chk-bitlocker", { status: ["ok", "fail", "warn"][i % 3] }));
      rs.push(result(`PC${i % 4}`, "chk-disk", { exit_code: i % 2, stdout: '{"state":"ok"}' }));
    }
    rs.push(result("PC9", "chk-bitlocker", { stdout: "garbage" }));
    await publishAndSettle(first, ...rs);
    const before = await snapshot(first);
    assert.equal(before.status.length, 8);
    assert.ok(before.transitions.length >= 8);
    await p1.stop();
    await first.stop();
    first = null;
    // A brand-new database on the same broker: the empty tables reset the durable.
    second = await startTestBackend({ broker, projectors: ["results"], waves: false });
    const after = await waitFor(async () => {
      const s = await snapshot(second!);
      return s.status.length === before.status.length &&
          s.transitions.length === before.transitions.length
        ? s
        : null;
    }, { timeoutMs: 30_000, what: "rebuilt checks" });
    assert.deepEqual(after.status, before.status);
    assert.deepEqual(after.transitions, before.transitions);
  } finally {
    await first?.stop();
    await second?.stop();
    await broker.stop();
  }
});

Deno.test("GET /api/checks and DELETE /api/checks/{name}: shapes, parameters, stale rows, 400s, audit, live notice", async (t) => {
  const x = await backendWithJobs({ KANADE_CHECK_STALE_DAYS: "30" }, ["audit"]);
  const b = x.b;
  const get = async (q = "") => {
    const res = await b.request(`/api/checks${q}`);
    return { status: res.status, body: await res.json() };
  };
  const sse = await openSse(b, "?kinds=check");
  try {
    await publishAndSettle(
      b,
      ok("PC1", "chk-bitlocker", { status: "ok" }),
      ok("PC2", "chk-bitlocker", { status: "fail", detail: "off" }),
      ok("PC3", "chk-bitlocker", { status: "warn" }),
      ok("PC1", "chk-disk", { state: "ok" }),
      result("PC2", "chk-disk", { exit_code: 1 }),
    );
    // Two rows from a PC that stopped reporting 40 days ago.
    const old = dbTs(Date.now() - 40 * 86_400_000);
    await b.deps.db.execute({
      sql: `INSERT INTO check_status (pc_id, check_name, label, status, detail, recorded_at)
            VALUES ('PC-GONE', 'bitlocker', 'BitLocker on', 'ok', NULL, ?),
                   ('PC-GONE', 'disk', NULL, 'fail', 'x', ?)`,
      args: [old, old],
    });

    await t.step("live: the projection's change notice reaches the SSE feed", async () => {
      await waitFor(() => sse.text().includes("event: check"), { what: "check notice" });
      assert.match(sse.text(), /"check_names":\[[^\]]*"bitlocker"/);
    });

    await t.step("default: complete counts, attention rows (stale counted apart)", async () => {
      const { status, body } = await get();
      assert.equal(status, 200);
      assert.deepEqual(body.counts, [
        {
          check_name: "bitlocker",
          label: "BitLocker on",
          ok: 1,
          warn: 1,
          fail: 1,
          unknown: 0,
          stale: 1,
        },
        { check_name: "disk", label: null, ok: 1, warn: 0, fail: 0, unknown: 1, stale: 1 },
      ]);
      assert.deepEqual(
        body.rows.map((r: Record<string, unknown>) => [r.pc_id, r.check_name, r.status, r.stale]),
        [
          ["PC-GONE", "bitlocker", "ok", true],
          ["PC2", "bitlocker", "fail", false],
          ["PC3", "bitlocker", "warn", false],
          ["PC-GONE", "disk", "fail", true],
          ["PC2", "disk", "unknown", false],
        ],
      );
      const row = body.rows.find((r: Record<string, unknown>) => r.pc_id === "PC2");
      assert.deepEqual(Object.keys(row).sort(), [
        "check_name",
        "detail",
        "label",
        "pc_id",
        "recorded_at",
        "stale",
        "status",
      ]);
      assert.match(row.recorded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.equal(body.stale_days, 30);
      assert.equal(body.truncated, false);
    });

    await t.step("check, include_ok, include_stale, pc_id, limit", async () => {
      const one = (await get("?check=%20bitlocker%20&include_ok=true")).body;
      assert.deepEqual(one.counts.map((c: { check_name: string }) => c.check_name), ["bitlocker"]);
      assert.deepEqual(one.rows.map((r: { pc_id: string }) => r.pc_id), [
        "PC-GONE",
        "PC1",
        "PC2",
        "PC3",
      ]);
      const noStale = (await get("?include_stale=false&include_ok=1")).body;
      assert.ok(noStale.rows.every((r: { stale: boolean }) => !r.stale));
      assert.equal(noStale.counts[0].stale, 1, "counts stay complete");
      const pc = (await get("?pc_id=PC1&include_ok=true")).body;
      assert.deepEqual(pc.rows.map((r: { check_name: string }) => r.check_name), [
        "bitlocker",
        "disk",
      ]);
      assert.deepEqual(pc.counts.map((c: { ok: number }) => c.ok), [1, 1]);
      const cut = (await get("?include_ok=true&limit=2")).body;
      assert.equal(cut.rows.length, 2);
      assert.equal(cut.truncated, true);
      assert.deepEqual((await get("?check=&include_ok=")).body.rows.length, 5, "blank = default");
      assert.deepEqual((await get("?check=nope")).body, {
        counts: [],
        rows: [],
        stale_days: 30,
        truncated: false,
      });
    });

    await t.step("bad parameter values answer 400 with the uniform body", async () => {
      for (
        const q of ["?include_ok=yes", "?include_stale=2", "?limit=0", "?limit=100001", "?limit=x"]
      ) {
        const { status, body } = await get(q);
        assert.equal(status, 400, q);
        assert.equal(body.status, 400);
        assert.match(body.error, /^invalid query: (include_ok|include_stale|limit): /, q);
      }
    });

    await t.step("DELETE: one PC, then the whole check; blank name 400; audit", async () => {
      const del = async (path: string) => {
        const res = await b.request(path, { method: "DELETE" });
        return { status: res.status, body: await res.json() };
      };
      assert.deepEqual(await del("/api/checks/bitlocker?pc_id=PC2"), {
        status: 200,
        body: { deleted: 1 },
      });
      assert.deepEqual(await del("/api/checks/bitlocker?pc_id=PC2"), {
        status: 200,
        body: { deleted: 0 },
      });
      assert.deepEqual(await del("/api/checks/bitlocker"), { status: 200, body: { deleted: 3 } });
      assert.deepEqual(await del("/api/checks/%20%20"), {
        status: 400,
        body: { error: "check_name must be non-empty", status: 400 },
      });
      assert.deepEqual(
        (await get("?include_ok=true")).body.counts.map((c: { check_name: string }) =>
          c.check_name
        ),
        ["disk"],
      );
      const audits = await waitFor(async () => {
        const rs = await b.deps.db.execute(
          "SELECT target, payload FROM audit_log WHERE action = 'check_clear' ORDER BY id",
        );
        return rs.rows.length === 3 ? rs.rows : null;
      }, { what: "check_clear audit" });
      assert.deepEqual(JSON.parse(String(audits[0].payload)), {
        check_name: "bitlocker",
        pc_id: "PC2",
        deleted: 1,
        sub: "service-token",
        source: null,
      });
      assert.equal(
        JSON.parse(String(audits[1].payload)).deleted,
        0,
        "a no-op clear is audited too",
      );
      assert.equal(audits[2].target, "bitlocker");
      assert.equal(JSON.parse(String(audits[2].payload)).pc_id, null);
    });

    await t.step("transitions: newest first, filtered by PC and check", async () => {
      const body = await b.json<{ transitions: Record<string, unknown>[] }>(
        "GET",
        "/api/checks/transitions?pc_id=PC2",
      );
      assert.deepEqual(body.transitions.map((x) => [x.check_name, x.from_status, x.to_status]), [
        ["disk", null, "unknown"],
        ["bitlocker", null, "fail"],
      ]);
      const res = await b.request("/api/checks/transitions?limit=0");
      assert.equal(res.status, 400);
    });
  } finally {
    await sse.close();
    await x.stop();
  }
});
