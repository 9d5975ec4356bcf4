/** The cleanup sweep against a real libSQL file, with a fixed "now". */
import assert from "node:assert/strict";
import { tempDb } from "./helpers/db.ts";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { loadConfig } from "../lib/config.ts";
import { logger, setLogLevel } from "../lib/log.ts";
import {
  appendNote,
  expirePending,
  reapInFlight,
  retentionTargets,
  startCleanup,
  sweep,
} from "../projectors/cleanup.ts";
import { applyResults } from "../projectors/results.ts";
import { dbTs } from "../wire/time.ts";
import { type Db, withWriteLock } from "../db/client.ts";

setLogLevel("error");
const NOW = Date.parse("2026-06-20T12:00:00Z");
const H = 3_600_000;
const config = loadConfig({ args: [], env: { KANADE_DB_URL: "file:/tmp/unused.db" } });

async function exec(db: Db, id: string, status: string, initiatedMs: number, target = 1) {
  await db.execute({
    sql:
      `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count, status)
          VALUES (?, 'j', '1', 't', ?, ?, ?)`,
    args: [id, dbTs(initiatedMs), target, status],
  });
}

async function inflight(
  db: Db,
  id: string,
  startedMs: number,
  opts: { execId?: string; stderr?: string; expiresMs?: number; finished?: boolean } = {},
) {
  await db.execute({
    sql: `INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, stderr, started_at,
            finished_at, exit_code, recorded_at, expires_at) VALUES (?, 'req', ?, 'PC1', ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      opts.execId ?? null,
      opts.stderr ?? "",
      dbTs(startedMs),
      opts.finished ? dbTs(startedMs + 1000) : null,
      opts.finished ? 0 : null,
      dbTs(startedMs),
      opts.expiresMs ? dbTs(opts.expiresMs) : null,
    ],
  });
}

const get = async (db: Db, sql: string, args: string[] = []) =>
  (await db.execute({ sql, args })).rows[0] as Record<string, unknown>;

Deno.test("expire stale pending executions (strict <, idempotent)", async () => {
  const t = await tempDb();
  const deps = { db: t.db, config, log: logger() };
  try {
    await exec(t.db, "old", "pending", NOW - 2 * H);
    await exec(t.db, "young", "pending", NOW - H / 2);
    await exec(t.db, "edge", "pending", NOW - H); // exactly at cutoff: untouched
    await exec(t.db, "run", "running", NOW - 5 * H);
    await exec(t.db, "done", "completed", NOW - 5 * H);
    assert.equal(await expirePending(deps, NOW), 1);
    assert.equal(await expirePending(deps, NOW), 0);
    const rows =
      (await t.db.execute("SELECT exec_id, status FROM executions ORDER BY exec_id")).rows;
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.exec_id, r.status])),
      { done: "completed", edge: "pending", old: "expired", run: "running", young: "pending" },
    );
  } finally {
    await t.close();
  }
});

Deno.test("reaper: deadline, note, parent failure counted once, late result not double counted", async (t) => {
  const tdb = await tempDb();
  const deps = { db: tdb.db, config, log: logger() };
  try {
    await exec(tdb.db, "E", "running", NOW - 30 * H, 2);
    await inflight(tdb.db, "old", NOW - 25 * H, { execId: "E", stderr: "partial" });
    await inflight(tdb.db, "young", NOW - H, { execId: "E" });
    await inflight(tdb.db, "finished", NOW - 30 * H, { finished: true });
    await inflight(tdb.db, "expired-deadline", NOW - 2 * H, { expiresMs: NOW - 1 });
    await inflight(tdb.db, "future-deadline", NOW - 30 * H, { expiresMs: NOW + H });

    await t.step("only rows past their deadline are reaped", async () => {
      const ids = await reapInFlight(deps, NOW);
      assert.deepEqual(ids.sort(), ["expired-deadline", "old"]);
      const old = await get(tdb.db, "SELECT * FROM execution_results WHERE result_id = 'old'");
      assert.equal(old.exit_code, -1);
      assert.equal(old.reaped, 1);
      assert.equal(old.finished_at, dbTs(NOW));
      assert.match(String(old.stderr), /^partial\n\[backend: reaped/);
      const young = await get(tdb.db, "SELECT * FROM execution_results WHERE result_id = 'young'");
      assert.equal(young.finished_at, null);
      const fin = await get(tdb.db, "SELECT * FROM execution_results WHERE result_id = 'finished'");
      assert.equal(fin.exit_code, 0);
      const e = await get(tdb.db, "SELECT * FROM executions WHERE exec_id = 'E'");
      assert.equal(e.failure_count, 1);
      assert.equal(e.status, "running");
    });
    await t.step("reaping is idempotent", async () => {
      assert.deepEqual(await reapInFlight(deps, NOW), []);
      const e = await get(tdb.db, "SELECT * FROM executions WHERE exec_id = 'E'");
      assert.equal(e.failure_count, 1);
    });
    await t.step("a late real result finishes the reaped row without counting again", async () => {
      const row = {
        result_id: "old",
        request_id: "req",
        exec_id: "E",
        pc_id: "PC1",
        exit_code: 0,
        stdout: "late",
        stderr: "",
        started_at: dbTs(NOW - 25 * H),
        finished_at: dbTs(NOW + 1000),
        recorded_at: dbTs(NOW + 2000),
        job_id: "j",
      };
      for (let i = 0; i < 2; i++) { // second pass = redelivery: no-op
        const tx = await tdb.db.transaction("write");
        await applyResults(tx, [row], { log: deps.log });
        await tx.commit();
        tx.close();
      }
      const r = await get(tdb.db, "SELECT * FROM execution_results WHERE result_id = 'old'");
      assert.equal(r.reaped, 0);
      assert.equal(r.exit_code, 0);
      assert.equal(r.stdout, "late");
      const e = await get(tdb.db, "SELECT * FROM executions WHERE exec_id = 'E'");
      assert.equal(e.failure_count, 1);
      assert.equal(e.success_count, 0);
    });
  } finally {
    await tdb.close();
  }
});

Deno.test("retention deletes old rows in bounded batches and keeps young ones", async () => {
  const t = await tempDb();
  const deps = { db: t.db, config, log: logger() };
  try {
    const day = 24 * H;
    for (const [id, age] of [["a", 100], ["b", 10]] as const) {
      await t.db.execute({
        sql: `INSERT INTO audit_log (actor, action, occurred_at) VALUES (?, 'x', ?)`,
        args: [id, dbTs(NOW - age * 400 * day / 100)],
      });
      await t.db.execute({
        sql: `INSERT INTO obs_events (pc_id, at, kind, source) VALUES (?, ?, 'k', 's')`,
        args: [id, dbTs(NOW - age * day)],
      });
      await inflight(t.db, `r-${id}`, NOW - age * day, { finished: true });
      await t.db.execute({
        sql: `INSERT INTO check_transitions (pc_id, check_name, to_status, recorded_at)
              VALUES (?, 'c', 'fail', ?)`,
        args: [id, dbTs(NOW - age * day)],
      });
      await t.db.execute({
        sql: `INSERT INTO alert_deliveries (rule_name, event_key, event, pc_id, payload, status,
                created_at, updated_at) VALUES ('r', ?, 'check_fail', ?, '{}', 'delivered', ?, ?)`,
        args: [id, id, dbTs(NOW - age * day), dbTs(NOW - age * day)],
      });
    }
    const report = await sweep(deps, NOW);
    assert.deepEqual(report.deleted, {
      execution_results: 1,
      audit_log: 1,
      obs_events: 1,
      check_transitions: 1,
      alert_deliveries: 1,
    });
    assert.equal((await get(t.db, "SELECT COUNT(*) AS n FROM audit_log")).n, 1);
    assert.equal((await get(t.db, "SELECT result_id FROM execution_results")).result_id, "r-b");
    assert.ok(retentionTargets({ ...config, retentionDays: { ...config.retentionDays, obs: 0 } }));
  } finally {
    await t.close();
  }
});

Deno.test("appendNote keeps the note on its own line", async (t) => {
  for (
    const [stderr, want] of [
      ["", "N"],
      ["err", "err\nN"],
      ["err\n", "err\nN"],
    ]
  ) {
    await t.step(JSON.stringify(stderr), () => assert.equal(appendNote(stderr, "N"), want));
  }
});

Deno.test("startCleanup sweeps soon after start and reaps with a change notice", async () => {
  const b = await startTestBackend({ cleanup: true });
  try {
    const sub = b.deps.nats.nc.subscribe("kanade.changes.result", { max: 1 });
    await exec(b.deps.db, "stale", "pending", Date.now() - 2 * H);
    await inflight(b.deps.db, "ghost", Date.now() - 25 * H);
    await waitFor(
      async () =>
        (await get(b.deps.db, "SELECT status FROM executions WHERE exec_id = 'stale'")).status ===
          "expired",
      { what: "expired by the first sweep" },
    );
    const r = await get(b.deps.db, "SELECT * FROM execution_results WHERE result_id = 'ghost'");
    assert.equal(r.reaped, 1);
    for await (const m of sub) {
      assert.deepEqual(JSON.parse(new TextDecoder().decode(m.data)).result_ids, ["ghost"]);
    }
  } finally {
    await b.stop();
  }
});

Deno.test("startCleanup waits its turn behind a long write instead of failing the sweep", async () => {
  const t = await tempDb();
  const errors: string[] = [];
  const log = logger();
  const recording = { ...log, error: (msg: string) => errors.push(msg), child: () => recording };
  const deps = {
    db: t.db,
    config,
    log: recording,
    nats: undefined,
  } as unknown as Parameters<typeof startCleanup>[0];
  try {
    await exec(t.db, "stale", "pending", Date.now() - 2 * H);
    // Another writer of this process holds the file longer than an API write may wait (3 s).
    const held = withWriteLock(t.db, () => new Promise((r) => setTimeout(r, 4_000)), 10_000);
    await new Promise((r) => setTimeout(r, 50));
    const c = startCleanup(deps, { firstDelayMs: 0 });
    try {
      await held;
      await waitFor(
        async () =>
          (await get(t.db, "SELECT status FROM executions WHERE exec_id = 'stale'")).status ===
            "expired",
        { what: "expired once the other writer is done", timeoutMs: 10_000 },
      );
      assert.deepEqual(errors, []);
    } finally {
      await c.stop();
    }
  } finally {
    await t.close();
  }
});
