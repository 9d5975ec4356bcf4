import assert from "node:assert/strict";
import { type ExistingRow, planResults } from "./results.ts";
import type { ResultRowIn } from "./results_sql.ts";
import { legacyResultId } from "./legacy_result_id.ts";
import { decodeHeartbeat, newestPerPc } from "./heartbeat.ts";
import { decodeStarted, expiresAt } from "./events.ts";
import { manifestFacts } from "./manifest_cache.ts";
import { nanosToDb } from "./js_envelope.ts";
import type { Heartbeat } from "../wire/messages.ts";

Deno.test("legacyResultId is UUIDv5(OID, kanade-issue-19/legacy-result-id:<req>:<pc>)", async (t) => {
  // Expected values computed independently with Python's uuid.uuid5(NAMESPACE_OID, ...).
  for (
    const [req, pc, want] of [
      ["req-1", "PC1", "0754bc0c-baf4-5163-932b-d94f61a5dd6f"],
      ["5f0c8a4e", "PC1234", "b24fc756-9f34-5fdf-a472-67b2dc621e9c"],
    ]
  ) {
    await t.step(`${req}/${pc}`, () => assert.equal(legacyResultId(req, pc), want));
  }
});

const row = (id: string, exit: number, exec: string | null = "E"): ResultRowIn => ({
  result_id: id,
  request_id: "r",
  exec_id: exec,
  pc_id: "PC",
  exit_code: exit,
  stdout: "",
  stderr: "",
  started_at: "s",
  finished_at: "f",
  recorded_at: "t",
  job_id: null,
});

Deno.test("planResults decides per result_id", async (t) => {
  const cases: {
    name: string;
    rows: ResultRowIn[];
    existing: [string, ExistingRow][];
    write: string[];
    counters: Record<string, { success: number; failure: number }>;
  }[] = [
    {
      name: "new rows count",
      rows: [row("a", 0), row("b", 2)],
      existing: [],
      write: ["a", "b"],
      counters: { E: { success: 1, failure: 1 } },
    },
    {
      name: "in-flight row finishes and counts",
      rows: [row("a", 0)],
      existing: [["a", { finished_at: null, reaped: 0, exec_id: "E" }]],
      write: ["a"],
      counters: { E: { success: 1, failure: 0 } },
    },
    {
      name: "finished row is a no-op",
      rows: [row("a", 0)],
      existing: [["a", { finished_at: "x", reaped: 0, exec_id: "E" }]],
      write: [],
      counters: {},
    },
    {
      name: "reaped row is finished without counting",
      rows: [row("a", 0)],
      existing: [["a", { finished_at: "x", reaped: 1, exec_id: "E" }]],
      write: ["a"],
      counters: {},
    },
    {
      name: "duplicate in one batch counts once",
      rows: [row("a", 0), row("a", 1)],
      existing: [],
      write: ["a"],
      counters: { E: { success: 1, failure: 0 } },
    },
    {
      name: "exec id from the in-flight row",
      rows: [row("a", 1, null)],
      existing: [["a", { finished_at: null, reaped: 0, exec_id: "X" }]],
      write: ["a"],
      counters: { X: { success: 0, failure: 1 } },
    },
    {
      name: "no exec id, no counters",
      rows: [row("a", 1, null)],
      existing: [],
      write: ["a"],
      counters: {},
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const p = planResults(c.rows, new Map(c.existing));
      assert.deepEqual(p.write.map((r) => r.result_id), c.write);
      assert.deepEqual(Object.fromEntries(p.counters), c.counters);
    });
  }
});

Deno.test("newestPerPc keeps the newest heartbeat per PC", () => {
  const hb = (pc: string, at: string, v: string) =>
    ({ pc_id: pc, at, agent_version: v }) as Heartbeat;
  const out = newestPerPc([
    { ...hb("A", "2026-01-01T00:00:02Z", "2"), hostname: "h1" },
    hb("A", "2026-01-01T00:00:01Z", "1"),
    hb("B", "2026-01-01T00:00:01Z", "b"),
    hb("A", "2026-01-01T00:00:02Z", "2b"),
  ]);
  assert.deepEqual(out.map((h) => [h.pc_id, h.agent_version, h.hostname]), [["A", "2b", "h1"], [
    "B",
    "b",
    null,
  ]]);
});

Deno.test("a decoded heartbeat carries its time as DB text: offsets and sub-millisecond order hold, a bad time is rejected", () => {
  const te = new TextEncoder();
  const beat = (at: string, v = "1") =>
    decodeHeartbeat(te.encode(JSON.stringify({ pc_id: "A", at, agent_version: v })));
  assert.equal(beat("2026-01-01T02:00:00.5+02:00").atDb, "2026-01-01T00:00:00.500000000Z");
  // Same millisecond, later instant first: the newest by `at` wins, not the later arrival.
  const out = newestPerPc([
    beat("2026-01-01T00:00:01.000000900Z", "newer"),
    beat("2026-01-01T00:00:01.000000100Z", "older"),
  ]);
  assert.deepEqual(out.map((h) => h.agent_version), ["newer"]);
  for (const bad of ["2026-02-30T00:00:00Z", "yesterday", ""]) {
    assert.throws(() => beat(bad), /invalid RFC 3339 timestamp/, bad);
  }
});

Deno.test("expiresAt, manifestFacts, nanosToDb", async (t) => {
  await t.step("expiresAt adds timeout + slack", () => {
    assert.equal(expiresAt("2026-01-01T00:00:00.000000000Z", 60), "2026-01-01T00:11:00.000000000Z");
    assert.equal(expiresAt("2026-01-01T00:00:00.000000000Z", null), null);
  });
  await t.step("manifestFacts is tolerant", () => {
    assert.equal(manifestFacts("k", "nope"), null);
    assert.deepEqual(manifestFacts("k", { id: "j", execute: { timeout: "5m" }, extra: 1 }), {
      id: "j",
      inventory: null,
      timeoutSecs: 300,
    });
    assert.deepEqual(
      manifestFacts("k", {
        inventory: { display: [{ field: "a", label: "A" }] },
        execute: { timeout: "bogus" },
      }),
      {
        id: "k",
        inventory: {
          display: [{ field: "a", label: "A" }],
          summary: null,
          explode: [],
          historyScalars: [],
        },
        timeoutSecs: null,
      },
    );
  });
  await t.step("nanosToDb keeps every nanosecond", () => {
    assert.equal(nanosToDb(1781913605123456789n), "2026-06-20T00:00:05.123456789Z");
  });
});

Deno.test("ackMeta reads sequence and publish time from the reply subject", async (t) => {
  const { ackMeta, nanosTextToDb } = await import("./js_envelope.ts");
  const { rowsParams } = await import("./results_sql.ts");
  const fallback = { seq: -1, timestampNanos: 1n };
  for (
    const [name, reply, want] of [
      [
        "current format",
        "$JS.ACK._.hash.RESULTS.backend_results_projector.1.4242.17.1781913600123456789.9.rnd",
        { seq: 4242, recordedAt: nanosToDb(1781913600123456789n) },
      ],
      [
        "legacy format",
        "$JS.ACK.RESULTS.backend_results_projector.2.7.8.1781913600000000001.0",
        { seq: 7, recordedAt: nanosToDb(1781913600000000001n) },
      ],
      [
        "not a JetStream reply → the client's getters",
        "_INBOX.x",
        { seq: -1, recordedAt: nanosToDb(1n) },
      ],
    ] as [string, string, { seq: number; recordedAt: string }][]
  ) {
    await t.step(name, () => assert.deepEqual(ackMeta({ ...fallback, reply } as never), want));
  }
  for (const ns of ["0", "999999", "1000000", "1781913600123456789", "12345678901234567890"]) {
    assert.equal(nanosTextToDb(ns), nanosToDb(BigInt(ns)), ns);
  }
  // rowsParams: the element fields in order, nulls kept, lone surrogates as U+FFFD (what
  // binding stores), then each output's 1-based byte offset and length in the UTF-8 blob.
  const row = {
    result_id: "r1",
    request_id: "q",
    exec_id: null,
    pc_id: "PC\ud800",
    exit_code: 3,
    stdout: "o✓",
    stderr: "",
    started_at: "s",
    finished_at: "f",
    recorded_at: "rec",
    job_id: null,
  };
  const [json, blob] = rowsParams([row, { ...row, result_id: "r2", stderr: "e\udc00" }]);
  assert.deepEqual(JSON.parse(json), [
    ["r1", "q", null, "PC\ufffd", 3, "s", "f", "rec", null, 1, 4, 5, 0],
    ["r2", "q", null, "PC\ufffd", 3, "s", "f", "rec", null, 5, 4, 9, 4],
  ]);
  assert.equal(new TextDecoder().decode(blob), "o✓o✓e\ufffd");
});

Deno.test("start events: started_at validated and rendered as DB text once, at decode", () => {
  const te = new TextEncoder();
  const started = (at: string) =>
    decodeStarted(te.encode(JSON.stringify({
      result_id: "r1",
      request_id: "q1",
      exec_id: "e1",
      pc_id: "PC1",
      started_at: at,
      manifest_id: "job",
      version: "1",
    })));
  assert.equal(started("2026-01-01T02:00:00.5+02:00").started_at, "2026-01-01T00:00:00.500000000Z");
  assert.equal(
    started("2026-01-01T00:00:01.000000900Z").started_at,
    "2026-01-01T00:00:01.000000900Z",
  );
  for (const bad of ["2026-02-30T00:00:00Z", "yesterday", ""]) {
    assert.throws(() => started(bad), /invalid RFC 3339 timestamp/, bad);
  }
  // The expiry from a publish time in DB text, also across a day.
  assert.equal(expiresAt("2026-12-31T23:55:00.123456789Z", 60), "2027-01-01T00:06:00.123000000Z");
});
