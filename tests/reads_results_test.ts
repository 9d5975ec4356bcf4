/** GET /api/results, /api/results/:id, /tail, /api/executions against real stores. */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend } from "./helpers/backend.ts";
import { dbTs } from "../wire/time.ts";
import { subjects } from "../wire/names.ts";
import { encodeJobTailReply, JobTailRequestSchema } from "../wire/job_tail.ts";
import { jsonBytes } from "../wire/codec.ts";

const BASE = Date.parse("2026-06-20T00:00:00Z");

async function seed(b: TestBackend) {
  const rows: [
    string,
    string,
    string | null,
    number | null,
    string,
    string,
    string | null,
    number,
  ][] = [
    // id, pc, exec, exit, stdout, stderr, job, minute
    ["r1", "PC001", "E1", 0, "hello world", "", "job-a", 1],
    ["r2", "PC002", "E1", 1, "boom", "fatal: disk", "job-a", 2],
    ["r3", "PC0010", null, null, "", "", null, 3], // in flight, adhoc
    ["r4", "LAB-9", "E2", 0, "aaaa".repeat(10_000), "", "job-b", 4],
    ["r5", "PC001", "E2", 127, "", "skipped: staleness", "job-b", 5],
  ];
  for (const [id, pc, exec, exit, out, err, job, min] of rows) {
    const started = dbTs(BASE + min * 60_000);
    await b.deps.db.execute({
      sql: `INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, exit_code, stdout,
              stderr, started_at, finished_at, recorded_at, job_id, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        id,
        `req-${id}`,
        exec,
        pc,
        exit,
        out,
        err,
        started,
        exit === null ? null : dbTs(BASE + min * 60_000 + 1500),
        started,
        job,
        job ? "1.0" : null,
      ],
    });
  }
  await b.deps.db.execute({
    sql:
      `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count,
            success_count, failure_count, status) VALUES ('E1','job-a','1.0','operator',?,3,1,1,'running')`,
    args: [dbTs(BASE)],
  });
}

const ids = (rows: { result_id: string }[]) => rows.map((r) => r.result_id);

Deno.test("results read API", async (t) => {
  const b = await startTestBackend();
  try {
    await seed(b);
    const get = async (q: string) => {
      const res = await b.request(`/api/results${q}`);
      return {
        status: res.status,
        total: res.headers.get("x-total-count"),
        body: await res.json(),
      };
    };
    await t.step("default listing: started_at DESC, X-Total-Count, row shape", async () => {
      const r = await get("");
      assert.equal(r.status, 200);
      assert.deepEqual(ids(r.body), ["r5", "r4", "r3", "r2", "r1"]);
      assert.equal(r.total, "5");
      assert.deepEqual(Object.keys(r.body[2]), [
        "result_id",
        "request_id",
        "exec_id",
        "pc_id",
        "exit_code",
        "stdout",
        "stderr",
        "started_at",
        "finished_at",
        "job_id",
        "version",
      ]);
      assert.equal(r.body[2].exit_code, null);
      assert.equal(r.body[2].finished_at, null);
      assert.equal(r.body[4].started_at, "2026-06-20T00:01:00Z");
      assert.equal(r.body[4].finished_at, "2026-06-20T00:01:01.500Z");
    });
    const cases: [string, string, string[]][] = [
      ["status=success", "?status=success", ["r4", "r1"]],
      ["status=failure", "?status=failure", ["r5", "r2"]],
      ["status=running", "?status=running", ["r3"]],
      ["since on started_at", "?since=2026-06-20T00:03:00Z", ["r5", "r4", "r3"]],
      ["since with offset", "?since=2026-06-20T02:03:00%2B02:00", ["r5", "r4", "r3"]],
      ["pc_id regex is a substring search", "?pc_id=PC001", ["r5", "r3", "r1"]],
      ["anchored pc_id", "?pc_id=^PC001$", ["r5", "r1"]],
      ["job_id regex: NULL matches as empty", "?job_id=^$", ["r3"]],
      ["exec_id regex", "?exec_id=E2", ["r5", "r4"]],
      ["stdout regex", "?stdout=hel%2Bo", ["r1"]],
      ["stderr regex + status", "?stderr=fatal|staleness&status=failure", ["r5", "r2"]],
      ["limit", "?limit=2", ["r5", "r4"]],
      ["regex + limit keeps total of matches", "?pc_id=PC&limit=1", ["r5"]],
    ];
    for (const [name, q, want] of cases) {
      await t.step(name, async () => {
        const r = await get(q);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(ids(r.body), want);
      });
    }
    await t.step("X-Total-Count counts all regex matches in the window", async () => {
      assert.equal((await get("?pc_id=PC&limit=1")).total, "4");
      assert.equal((await get("?limit=2")).total, "5"); // a full page: COUNT, not page length
    });
    for (
      const [name, q, msg] of [
        ["invalid regex", "?stdout=(a", /invalid regex/],
        ["too long pattern", `?stdout=${"a".repeat(600)}`, /longer than 512/],
        ["bad status", "?status=weird", /status/],
        ["bad since", "?since=yesterday", /since/],
        ["limit 0", "?limit=0", /limit/],
        ["limit too big", "?limit=1001", /limit/],
        ["limit not a number", "?limit=abc", /limit/],
      ] as const
    ) {
      await t.step(`400: ${name}`, async () => {
        const r = await get(q);
        assert.equal(r.status, 400);
        assert.match(r.body.error, msg);
      });
    }
    await t.step("pathological regex (a+)+$ on long output returns quickly", async () => {
      const t0 = performance.now();
      const r = await get("?stdout=(a%2B)%2B$");
      assert.equal(r.status, 200);
      assert.deepEqual(ids(r.body), ["r4"]);
      assert.ok(performance.now() - t0 < 2000);
    });
    await t.step("detail and 404", async () => {
      const ok = await b.json<{ result_id: string; stdout: string }>("GET", "/api/results/r1");
      assert.equal(ok.stdout, "hello world");
      const res = await b.request("/api/results/nope");
      assert.equal(res.status, 404);
      assert.match((await res.json()).error, /not found/);
    });
    await t.step("tail: finished row comes from the DB", async () => {
      const tail = await b.json<Record<string, unknown>>("GET", "/api/results/r2/tail");
      assert.deepEqual(tail, {
        running: false,
        live: false,
        stdout: "boom",
        stderr: "fatal: disk",
        stdout_truncated: false,
        stderr_truncated: false,
        exit_code: 1,
      });
    });
    await t.step("tail: in-flight row asks the agent on job.tail.<pc_id>", async () => {
      const sub = b.deps.nats.nc.subscribe(subjects.jobTail("PC0010"), {
        callback: (_e, m) => {
          const req = JobTailRequestSchema.parse(JSON.parse(new TextDecoder().decode(m.data)));
          m.respond(jsonBytes(encodeJobTailReply({
            found: req.result_id === "r3",
            running: true,
            stdout: "partial",
            stderr: "",
            stdout_truncated: true,
            stderr_truncated: false,
          })));
        },
      });
      await b.deps.nats.nc.flush();
      const tail = await b.json<Record<string, unknown>>("GET", "/api/results/r3/tail");
      assert.equal(tail.live, true);
      assert.equal(tail.stdout, "partial");
      assert.equal(tail.stdout_truncated, true);
      assert.equal(tail.exit_code, null);
      sub.unsubscribe();
    });
    await t.step("tail: no agent → waiting shape (no error)", async () => {
      const tail = await b.json<Record<string, unknown>>("GET", "/api/results/r3/tail");
      assert.equal(tail.running, true);
      assert.equal(tail.live, false);
    });
    await t.step("executions list and detail", async () => {
      const res = await b.request("/api/executions?job_id=job-a");
      assert.equal(res.headers.get("x-total-count"), "1");
      const list = await res.json();
      assert.equal(list[0].exec_id, "E1");
      assert.equal(list[0].initiated_at, "2026-06-20T00:00:00Z");
      const d = await b.json<
        {
          execution: { status: string };
          results: { pc_id: string }[];
          counters: unknown;
          waves: unknown[];
        }
      >(
        "GET",
        "/api/executions/E1",
      );
      assert.equal(d.execution.status, "running");
      assert.deepEqual(d.results.map((r: { pc_id: string }) => r.pc_id).sort(), ["PC001", "PC002"]);
      assert.deepEqual(d.counters, {
        target: 3,
        success: 1,
        failure: 1,
        running: 0,
        reaped: 0,
        not_started: 1,
      });
      assert.deepEqual(d.waves, []);
      assert.equal((await b.request("/api/executions/nope")).status, 404);
      assert.equal((await b.request("/api/executions?limit=-1")).status, 400);
    });
  } finally {
    await b.stop();
  }
});
