/**
 * Inventory explode tables and history end to end: a manifest with `inventory.explode`
 * and `history_scalars` registered through the API, ExecResults published to a real
 * broker, projected into a real libSQL file, read back through the four routes.
 * The projection scenario runs on both write paths (main thread and writer thread).
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import type { ExecResult } from "../wire/messages.ts";
import { BUCKET } from "../wire/names.ts";
import { jobResult, publishAndSettle } from "./helpers/results.ts";

const JOB = "inv-sw";
const TABLE = "inv_sw_apps";

const MANIFEST = {
  id: JOB,
  version: "1.0.0",
  description: "Installed software",
  execute: { shell: "powershell", script: "Get-Apps", timeout: "120s" },
  inventory: {
    display: [{ field: "os", label: "OS" }],
    explode: [{
      field: "apps",
      table: TABLE,
      primary_key: ["key", "source"],
      columns: [
        { field: "key" },
        { field: "source", type: "text" },
        { field: "name", type: "text", index: true },
        { field: "version", type: "text" },
        { field: "size", type: "integer" },
        { field: "pinned", type: "text" },
      ],
      track_history: true,
    }],
    history_scalars: ["os", "ram_gb"],
  },
};

type App = Record<string, unknown>;
const app = (key: string, over: App = {}): App => ({
  key,
  source: "hklm",
  name: key.toUpperCase(),
  version: "1.0",
  size: 100,
  ...over,
});

let clock = Date.parse("2026-06-20T00:00:00Z");
/** A strictly later finish time for every call (the recency guard compares them). */
const later = () => new Date(clock += 60_000).toISOString();

function result(pc: string, facts: unknown, over: Partial<ExecResult> = {}): ExecResult {
  const finished = later();
  return jobResult(pc, JOB, {
    stdout: typeof facts === "string" ? facts : JSON.stringify(facts),
    started_at: finished,
    finished_at: finished,
    ...over,
  });
}

async function scalar(b: TestBackend, sql: string, args: (string | number)[] = []) {
  const rs = await b.deps.db.execute({ sql, args });
  return rs.rows[0]?.[0];
}

async function appRows(b: TestBackend, pc: string) {
  const rs = await b.deps.db.execute({
    sql: `SELECT key, source, name, version, size, pinned, typeof(size) AS ts, collected_at
          FROM ${TABLE} WHERE pc_id = ? AND job_id = ? ORDER BY key`,
    args: [pc, JOB],
  });
  return rs.rows.map((r) => ({ ...r }));
}

async function history(b: TestBackend, pc: string) {
  const rs = await b.deps.db.execute({
    sql: `SELECT field_path, identity_json, change_kind, before_json, after_json
          FROM inventory_history WHERE pc_id = ? AND job_id = ? ORDER BY id`,
    args: [pc, JOB],
  });
  return rs.rows.map((r) => [
    r.change_kind,
    r.field_path,
    r.identity_json,
    r.before_json,
    r.after_json,
  ]);
}

const kinds = (h: unknown[][]) => h.map((e) => `${e[0]} ${e[1]} ${e[2] ?? ""}`.trim());

async function projectionScenario(b: TestBackend, t: Deno.TestContext) {
  await t.step("pre-warm: the table exists before any result; search answers []", async () => {
    const res = await b.request("/api/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(MANIFEST),
    });
    assert.equal(res.status, 200, await res.text());
    await waitFor(
      async () =>
        await scalar(b, "SELECT COUNT(*) FROM sqlite_master WHERE name = ?", [TABLE]) === 1,
      { timeoutMs: 15_000, what: "pre-warmed explode table" },
    );
    const idx = await scalar(b, "SELECT COUNT(*) FROM sqlite_master WHERE name = ?", [
      `idx_${TABLE}_name`,
    ]);
    assert.equal(idx, 1);
    assert.deepEqual(await b.json("GET", `/api/inventory/${JOB}/search/apps`), []);
    const jobs = await b.json<{ manifest_id: string; history_scalars: string[] }[]>(
      "GET",
      "/api/inventory/jobs",
    );
    assert.deepEqual(jobs.find((j) => j.manifest_id === JOB)?.history_scalars, ["os", "ram_gb"]);
  });

  await t.step("first results: rows with coercion, `added` history", async () => {
    await publishAndSettle(
      b,
      result("PC1", {
        os: "Windows 10",
        ram_gb: 16,
        apps: [
          app("chrome", { size: "250", pinned: true }),
          app("7zip", { version: null, size: 2 }),
          app("chrome", { name: "DUPLICATE" }), // same key: collapses to the first
          "not-an-object",
        ],
      }),
      result("PC2", { os: "Windows 11", apps: [app("chrome", { version: "2.0" })] }),
      result("PC3", { os: "Windows 11", ram_gb: 8, apps: [] }),
    );
    const pc1 = await appRows(b, "PC1");
    assert.deepEqual(
      pc1.map((r) => [r.key, r.name, r.version, r.size, r.ts, r.pinned]),
      [
        ["7zip", "7ZIP", null, 2, "integer", null],
        ["chrome", "CHROME", "1.0", 250, "integer", "true"],
      ],
    );
    assert.ok(String(pc1[0].collected_at).startsWith("2026-06-20T"));
    assert.deepEqual(kinds(await history(b, "PC1")), [
      "added os",
      "added ram_gb",
      'added apps {"key":"chrome","source":"hklm"}',
      'added apps {"key":"7zip","source":"hklm"}',
    ]);
    const h = await history(b, "PC1");
    assert.equal(h[0][4], '{"value":"Windows 10"}');
    assert.deepEqual(kinds(await history(b, "PC3")), ["added os", "added ram_gb"]);
  });

  const second = result("PC1", {
    os: "Windows 11",
    ram_gb: 16,
    apps: [app("chrome", { size: 250, pinned: true, version: "1.1" }), app("vlc")],
  });
  await t.step("a newer result: changed / added / removed, unchanged values silent", async () => {
    await publishAndSettle(b, second);
    assert.deepEqual(kinds(await history(b, "PC1")).slice(4), [
      "changed os",
      'changed apps {"key":"chrome","source":"hklm"}',
      'added apps {"key":"vlc","source":"hklm"}',
      'removed apps {"key":"7zip","source":"hklm"}',
    ]);
    const h = await history(b, "PC1");
    assert.deepEqual(JSON.parse(String(h[5][3])).version, "1.0");
    assert.deepEqual(JSON.parse(String(h[5][4])).version, "1.1");
    assert.deepEqual((await appRows(b, "PC1")).map((r) => r.key), ["chrome", "vlc"]);
  });

  await t.step("redelivery of the same result adds no history", async () => {
    const before = await scalar(b, "SELECT COUNT(*) FROM inventory_history");
    await publishAndSettle(b, second, result("PC9", { os: "marker" }));
    assert.equal(await scalar(b, "SELECT COUNT(*) FROM inventory_history"), Number(before) + 1);
    assert.equal((await history(b, "PC1")).length, 8);
  });

  await t.step("an older result arriving late changes nothing", async () => {
    const old = result("PC1", { os: "Windows 7", apps: [app("ie6")] }, {
      finished_at: "2026-06-19T00:00:00Z",
      started_at: "2026-06-19T00:00:00Z",
    });
    await publishAndSettle(b, old);
    assert.deepEqual((await appRows(b, "PC1")).map((r) => r.key), ["chrome", "vlc"]);
    assert.equal((await history(b, "PC1")).length, 8);
    const facts = await scalar(
      b,
      "SELECT facts_json FROM inventory_facts WHERE pc_id = 'PC1' AND job_id = ?",
      [JOB],
    );
    assert.equal(JSON.parse(String(facts)).os, "Windows 11");
  });

  await t.step(
    "a missing explode field removes the rows WITH `removed` events (#929)",
    async () => {
      await publishAndSettle(b, result("PC2", { os: "Windows 11" }));
      assert.deepEqual(await appRows(b, "PC2"), []);
      assert.deepEqual(kinds(await history(b, "PC2")).slice(-1), [
        'removed apps {"key":"chrome","source":"hklm"}',
      ]);
    },
  );

  await t.step("a small re-scan rewrites only the changed rows (NULL keys too)", async () => {
    const apps = Array.from({ length: 12 }, (_, i) => app(`app${i}`, { size: i }));
    apps.push(app("nullsrc", { source: null, version: "1" }));
    await publishAndSettle(b, result("PC5", { os: "x", apps }));
    const rowid = async () =>
      Object.fromEntries(
        (await b.deps.db.execute({
          sql: `SELECT rowid, key FROM ${TABLE} WHERE pc_id = 'PC5'`,
          args: [],
        })).rows.map((r) => [String(r.key), Number(r.rowid)]),
      );
    const before = await rowid();
    const rescan = result("PC5", {
      os: "x",
      apps: [
        ...apps.slice(1, 12).map((a) => a.key === "app5" ? { ...a, version: "9" } : a),
        app("nullsrc", { source: null, version: "2" }),
        app("fresh"),
      ],
    });
    await publishAndSettle(b, rescan);
    const after = await rowid();
    assert.deepEqual(
      Object.keys(after).sort(),
      [
        ...Array.from({ length: 11 }, (_, i) => `app${i + 1}`),
        "fresh",
        "nullsrc",
      ].sort(),
    );
    assert.equal(after.app1, before.app1, "unchanged row kept in place");
    assert.notEqual(after.app5, before.app5, "changed row rewritten");
    const rows = await appRows(b, "PC5");
    assert.ok(rows.every((r) => r.collected_at === rows[0].collected_at), "all stamped");
    assert.equal(rows.find((r) => r.key === "app5")?.version, "9");
    assert.equal(rows.find((r) => r.key === "nullsrc")?.version, "2");
    assert.deepEqual(kinds(await history(b, "PC5")).slice(14), [
      'changed apps {"key":"app5","source":"hklm"}',
      'changed apps {"key":"nullsrc","source":null}',
      'added apps {"key":"fresh","source":"hklm"}',
      'removed apps {"key":"app0","source":"hklm"}',
    ]);
    const collected = await scalar(
      b,
      "SELECT collected_at FROM inventory_facts WHERE pc_id = 'PC5'",
    );
    assert.equal(rows[0].collected_at, collected);
  });

  await t.step("bad payloads among good ones: results commit, stream continues", async () => {
    // A failure inside the inventory step (here: a trigger refusing PC-BAD's history).
    await b.deps.db.execute(
      `CREATE TRIGGER IF NOT EXISTS test_refuse_bad BEFORE INSERT ON inventory_history
       WHEN NEW.pc_id = 'PC-BAD' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`,
    );
    const bad = result("PC-BAD", { os: "x", apps: [app("a")] });
    const notJson = result("PC-TXT", "this is not json");
    const huge = result("PC-BIG", { os: "y", apps: [app("big", { size: 2 ** 60 })] });
    const good = result("PC-OK", { os: "z", apps: [app("ok")] });
    await publishAndSettle(b, bad, notJson, huge, good);
    for (const r of [bad, notJson, huge, good]) {
      assert.equal(
        await scalar(b, "SELECT COUNT(*) FROM execution_results WHERE result_id = ?", [
          r.result_id,
        ]),
        1,
        `result row of ${r.pc_id}`,
      );
    }
    assert.deepEqual(await appRows(b, "PC-BAD"), []);
    assert.equal(
      await scalar(b, "SELECT COUNT(*) FROM inventory_facts WHERE pc_id = 'PC-BAD'"),
      0,
    );
    assert.equal(
      await scalar(b, "SELECT COUNT(*) FROM inventory_facts WHERE pc_id = 'PC-TXT'"),
      0,
    );
    assert.deepEqual((await appRows(b, "PC-OK")).map((r) => r.key), ["ok"]);
    // A key value beyond 2^53 does not break the next diff of that PC.
    await publishAndSettle(
      b,
      result("PC-BIG", { os: "y", apps: [app("big", { size: 2 ** 60, version: "2" })] }),
    );
    assert.deepEqual(kinds(await history(b, "PC-BIG")), [
      "added os",
      'added apps {"key":"big","source":"hklm"}',
      'changed apps {"key":"big","source":"hklm"}',
    ]);
    await b.deps.db.execute("DROP TRIGGER test_refuse_bad");
    await publishAndSettle(b, result("PC-BAD", { os: "x", apps: [app("a")] }));
    assert.deepEqual((await appRows(b, "PC-BAD")).map((r) => r.key), ["a"]);
  });
}

Deno.test("inventory explode + history projection (main-thread writer)", async (t) => {
  const b = await startTestBackend({
    projectors: ["results"],
    waves: false,
    env: { KANADE_RESULTS_WRITER_THREAD: "0" },
  });
  try {
    await projectionScenario(b, t);
  } finally {
    await b.stop();
  }
});

Deno.test("inventory explode + history projection (writer thread)", async (t) => {
  const b = await startTestBackend({
    projectors: ["results"],
    waves: false,
    env: { KANADE_RESULTS_WRITER_THREAD: "1" },
  });
  try {
    await projectionScenario(b, t);
  } finally {
    await b.stop();
  }
});

Deno.test("inventory routes: search filters, history, first_seen, 400/404/409/503", async (t) => {
  const b = await startTestBackend({ projectors: ["results"], waves: false });
  const get = async (path: string) => {
    const res = await b.request(path);
    const body = await res.json();
    return { status: res.status, body };
  };
  try {
    await b.json("POST", "/api/jobs", MANIFEST);
    // Results are projected with the hint the manifest cache holds: wait until it has it.
    await waitFor(
      async () =>
        await scalar(b, "SELECT COUNT(*) FROM sqlite_master WHERE name = ?", [TABLE]) === 1,
      { timeoutMs: 15_000, what: "pre-warmed explode table" },
    );
    await b.json("POST", "/api/jobs", {
      ...MANIFEST,
      id: "plain",
      inventory: { display: [] },
    });
    await b.json("POST", "/api/jobs", {
      ...MANIFEST,
      id: "no-inv",
      inventory: undefined,
    });
    const first = [
      result("PC-A", { os: "W10", apps: [app("chrome", { size: 300 }), app("git", { size: 50 })] }),
      result("PC-B", { os: "W10", apps: [app("chrome", { size: 300 }), app("50%_off")] }),
      result("PC-C", { os: "W11", apps: [app("go", { size: 1000, source: "hkcu" })] }),
    ];
    await publishAndSettle(b, ...first);
    const mid = later();
    await publishAndSettle(
      b,
      result("PC-A", { os: "W11", apps: [app("chrome", { size: 301 })] }),
      result("PC-D", { os: "W11", apps: [app("git")] }),
    );
    const S = `/api/inventory/${JOB}/search/apps`;

    await t.step("search: every row, typed, ordered by pc_id then key", async () => {
      const rows = await b.json<Record<string, unknown>[]>("GET", S);
      assert.deepEqual(rows.map((r) => [r.pc_id, r.key]), [
        ["PC-A", "chrome"],
        ["PC-B", "50%_off"],
        ["PC-B", "chrome"],
        ["PC-C", "go"],
        ["PC-D", "git"],
      ]);
      assert.deepEqual(Object.keys(rows[0]).sort(), [
        "collected_at",
        "key",
        "name",
        "pc_id",
        "pinned",
        "size",
        "source",
        "version",
      ]);
      assert.equal(rows[0].size, 301);
      assert.equal(rows[0].pinned, null);
      assert.match(String(rows[0].collected_at), /^2026-06-20T\d\d:\d\d:00Z$/);
    });

    const keys = async (q: string) =>
      (await b.json<Record<string, unknown>[]>("GET", `${S}?${q}`)).map((r) =>
        `${r.pc_id}/${r.key}`
      );
    await t.step("search: ops and filters", async () => {
      assert.deepEqual(await keys("key=chrome"), ["PC-A/chrome", "PC-B/chrome"]);
      assert.deepEqual(await keys("key__ne=chrome&key__ne=go"), ["PC-B/50%_off", "PC-D/git"]);
      assert.deepEqual(await keys("size__gt=300"), ["PC-A/chrome", "PC-C/go"]);
      assert.deepEqual(await keys("size__ge=300&size__lt=1000"), ["PC-A/chrome", "PC-B/chrome"]);
      assert.deepEqual(await keys("size__le=100"), ["PC-B/50%_off", "PC-D/git"]);
      assert.deepEqual(await keys("name__contains=HRO"), ["PC-A/chrome", "PC-B/chrome"]);
      assert.deepEqual(await keys("key__contains=%25_"), ["PC-B/50%_off"]); // literal "%_"
      assert.deepEqual(await keys("key__contains=_"), ["PC-B/50%_off"]);
      assert.deepEqual(await keys("key__prefix=g"), ["PC-C/go", "PC-D/git"]);
      assert.deepEqual(await keys("key__suffix=it"), ["PC-D/git"]);
      assert.deepEqual(await keys("source=hkcu"), ["PC-C/go"]);
      assert.deepEqual(await keys("pc_id=PC-B"), ["PC-B/50%_off", "PC-B/chrome"]);
      assert.deepEqual(await keys("key=nothing"), []);
    });

    await t.step("search: pagination", async () => {
      assert.deepEqual(await keys("limit=2"), ["PC-A/chrome", "PC-B/50%_off"]);
      assert.deepEqual(await keys("limit=2&offset=2"), ["PC-B/chrome", "PC-C/go"]);
      assert.deepEqual(await keys("limit=2&offset=4"), ["PC-D/git"]);
    });

    await t.step("search: 400 / 404 / 409", async () => {
      for (
        const [q, re] of [
          ["nope=1", /unknown column 'nope'/],
          ["size__between=1", /unknown operator 'between'/],
          ["bad-name=1", /invalid identifier/],
          ["limit=0", /limit/],
          ["limit=5001", /limit/],
          ["offset=-1", /offset/],
        ] as [string, RegExp][]
      ) {
        const r = await get(`${S}?${q}`);
        assert.equal(r.status, 400, q);
        assert.match(r.body.error, re, q);
      }
      for (
        const path of [
          "/api/inventory/unknown-job/search/apps",
          `/api/inventory/${JOB}/search/nope`,
          "/api/inventory/plain/search/apps",
          "/api/inventory/no-inv/search/apps",
          "/api/inventory/bad%20id/search/apps",
        ]
      ) {
        assert.equal((await get(path)).status, 404, path);
      }
      // A spec whose table is a core table, and one whose key changed: refused, not read.
      await b.json("POST", "/api/jobs", {
        ...MANIFEST,
        id: "evil",
        inventory: {
          display: [],
          explode: [{ ...MANIFEST.inventory.explode[0], table: "execution_results" }],
        },
      });
      const evil = await get("/api/inventory/evil/search/apps");
      assert.equal(evil.status, 409);
      assert.match(evil.body.error, /not an explode table/);
      await b.json("POST", "/api/jobs", {
        ...MANIFEST,
        id: "rekeyed",
        inventory: {
          display: [],
          explode: [{ ...MANIFEST.inventory.explode[0], primary_key: ["key"] }],
        },
      });
      const rekeyed = await get("/api/inventory/rekeyed/search/apps");
      assert.equal(rekeyed.status, 409);
      assert.match(rekeyed.body.error, /DROP/);
      // The core table was left alone by the projection too.
      assert.ok(Number(await scalar(b, "SELECT COUNT(*) FROM execution_results")) >= 5);
    });

    const H = `/api/inventory/${JOB}/history`;
    await t.step("history/pc: newest first, field, since, limit", async () => {
      const all = await b.json<Record<string, unknown>[]>("GET", `${H}/pc/PC-A`);
      assert.deepEqual(all.map((e) => `${e.change_kind} ${e.field_path}`), [
        "removed apps",
        "changed apps",
        "changed os",
        "added apps",
        "added apps",
        "added os",
      ]);
      const e = all[1];
      assert.deepEqual(Object.keys(e).sort(), [
        "after_json",
        "before_json",
        "change_kind",
        "field_path",
        "id",
        "identity_json",
        "job_id",
        "observed_at",
        "pc_id",
      ]);
      assert.equal(typeof e.before_json, "string");
      assert.equal(e.identity_json, '{"key":"chrome","source":"hklm"}');
      assert.equal(JSON.parse(String(e.after_json)).size, 301);
      assert.equal((await b.json<unknown[]>("GET", `${H}/pc/PC-A?field=os`)).length, 2);
      assert.equal((await b.json<unknown[]>("GET", `${H}/pc/PC-A?since=${mid}`)).length, 3);
      assert.equal((await b.json<unknown[]>("GET", `${H}/pc/PC-A?limit=1`)).length, 1);
      assert.deepEqual(await b.json("GET", `${H}/pc/PC-NONE`), []);
      assert.equal((await get(`${H}/pc/PC-A?since=yesterday`)).status, 400);
      assert.equal((await get(`${H}/pc/PC-A?limit=5001`)).status, 400);
    });

    await t.step("history/search: kind, identity, since/until, paging, 400s", async () => {
      const s = async (q: string) =>
        (await b.json<Record<string, unknown>[]>("GET", `${H}/search?${q}`)).map((e) =>
          `${e.pc_id} ${e.change_kind} ${e.field_path}`
        );
      assert.deepEqual(await s("kind=removed"), ["PC-A removed apps"]);
      assert.deepEqual(await s("field=apps&identity.key=git"), [
        "PC-D added apps",
        "PC-A removed apps",
        "PC-A added apps",
      ]);
      assert.deepEqual(await s("identity.key=go&identity.source=hkcu"), ["PC-C added apps"]);
      assert.deepEqual(await s("identity.key=go&identity.source=hklm"), []);
      assert.deepEqual(await s(`field=os&until=${mid}`), [
        "PC-C added os",
        "PC-B added os",
        "PC-A added os",
      ]);
      assert.deepEqual(await s(`field=os&since=${mid}&kind=changed`), ["PC-A changed os"]);
      assert.deepEqual(await s("field=os&limit=1&offset=1"), ["PC-A changed os"]);
      for (const q of ["kind=gone", "since=nope", "until=2026-13-01T00:00:00Z", "identity.a-b=1"]) {
        assert.equal((await get(`${H}/search?${q}`)).status, 400, q);
      }
    });

    await t.step("history/first_seen: MIN(observed_at) per PC, oldest first", async () => {
      const fs = await b.json<{ pc_id: string; first_seen_at: string }[]>(
        "GET",
        `${H}/first_seen?field=apps&identity.key=git`,
      );
      assert.deepEqual(fs.map((r) => r.pc_id), ["PC-A", "PC-D"]);
      assert.ok(fs[0].first_seen_at < fs[1].first_seen_at);
      assert.deepEqual(
        (await b.json<{ pc_id: string }[]>("GET", `${H}/first_seen?since=${mid}`)).map((r) =>
          r.pc_id
        ),
        ["PC-A", "PC-D"],
      );
      assert.equal(
        (await b.json<unknown[]>("GET", `${H}/first_seen?field=apps&limit=1&offset=1`)).length,
        1,
      );
      assert.equal((await get(`${H}/first_seen?identity.$x=1`)).status, 400);
    });

    await t.step("a newly declared column is added in place (no rebuild)", async () => {
      const spec = MANIFEST.inventory.explode[0];
      await b.json("POST", "/api/jobs", {
        ...MANIFEST,
        inventory: {
          ...MANIFEST.inventory,
          explode: [{ ...spec, columns: [...spec.columns, { field: "arch", type: "text" }] }],
        },
      });
      const rows = await waitFor(async () => {
        const r = await b.json<Record<string, unknown>[]>("GET", `${S}?key=git`);
        return r.length && "arch" in r[0] ? r : null;
      }, { what: "search with the new column" });
      assert.deepEqual(rows.map((r) => [r.pc_id, r.arch]), [["PC-D", null]]);
      await publishAndSettle(
        b,
        result("PC-E", { os: "W11", apps: [app("git", { arch: "x64" })] }),
      );
      assert.deepEqual(
        (await b.json<Record<string, unknown>[]>("GET", `${S}?arch=x64`)).map((r) => r.pc_id),
        ["PC-E"],
      );
    });

    await t.step("503 without the jobs bucket", async () => {
      await b.deps.nats.jsm.streams.delete(`KV_${BUCKET.jobs}`);
      const r = await get(S);
      assert.equal(r.status, 503);
      assert.match(r.body.error, /jobs/);
    });
  } finally {
    await b.stop();
  }
});
