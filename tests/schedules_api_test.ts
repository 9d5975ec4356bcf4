/**
 * The schedules and freeze routes against a real broker and DB: both shapes kept as
 * written, validate() messages as 400s, unknown jobs, YAML mirror, enable/disable with
 * revision checks and cascade revoke, upcoming, the JSON Schema, audit events, and a live
 * edit/delete picked up by a running scheduler on its next tick.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startScheduler } from "../scheduler/mod.ts";
import { setEnabled } from "../lib/schedules/store.ts";
import { BUCKET, SCRIPT_STATUS_REVOKED, SUBJECT } from "../wire/names.ts";
import { parseJsonBytes, utf8 } from "../wire/codec.ts";
import { rowsOf } from "../db/client.ts";
import { encodeManifest } from "../wire/manifest_encode.ts";
import { type Manifest } from "../wire/manifest.ts";

const T = { sanitizeOps: false, sanitizeResources: false };

async function putJob(b: TestBackend, id: string) {
  const m = {
    id,
    version: "1.0.0",
    execute: { shell: "powershell", script: "echo ok", timeout: "30s", run_as: "system" },
    require_approval: false,
    staleness: { mode: "cached" },
  } as unknown as Manifest;
  await (await b.deps.nats.kv(BUCKET.jobs)).put(id, JSON.stringify(encodeManifest(m)));
}

async function schedulerExecs(b: TestBackend, jobId: string) {
  const rs = await b.deps.db.execute({
    sql: "SELECT exec_id FROM executions WHERE job_id = ? AND initiated_by = 'scheduler'",
    args: [jobId],
  });
  return rowsOf<{ exec_id: string }>(rs);
}

async function post(b: TestBackend, path: string, body: unknown, yaml = false) {
  const res = await b.request(path, {
    method: "POST",
    headers: { "content-type": yaml ? "application/yaml" : "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
}

function auditCollector(b: TestBackend) {
  const seen: { action: string; target: string | null; payload: Record<string, unknown> }[] = [];
  b.deps.nats.nc.subscribe(SUBJECT.auditFilter, {
    callback: (_e, m) => void seen.push(parseJsonBytes(m.data) as (typeof seen)[number]),
  });
  return seen;
}

Deno.test({
  ...T,
  name: "schedules API: create both shapes, list, yaml, validation, unknown job",
  fn: async (t) => {
    const b = await startTestBackend();
    const audits = auditCollector(b);
    try {
      await putJob(b, "cleanup");
      await t.step("when shape is stored byte for byte in declaration order", async () => {
        const r = await post(b, "/api/schedules", {
          enabled: true,
          job_id: "cleanup",
          id: "hourly",
          target: { groups: ["canary"] },
          when: { per_pc: { every: "1h" } },
          on_failure: { retry: { max: 3, backoff: "10m" } },
        });
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(JSON.parse(r.body), {
          id: "hourly",
          when: { per_pc: { every: "1h" } },
          cron: "0 * * * * *",
          enabled: true,
          job_id: "cleanup",
        });
        const kv = await b.deps.nats.kv(BUCKET.schedules);
        assert.equal(
          utf8((await kv.get("hourly"))!.value),
          `{"id":"hourly","when":{"per_pc":{"every":"1h"}},"job_id":"cleanup","target":{"groups":["canary"],"pcs":[],"all":false},"on_failure":{"retry":{"max":3,"backoff":"10m"}},"tz":"local","runs_on":"backend","enabled":true}`,
        );
      });
      const yaml =
        "# legacy\nid: legacy\ncron: '0 */5 * * * *'\njob_id: cleanup\nmode: once_per_pc\n" +
        "cooldown: 6h\ntarget: { all: true }\n";
      await t.step("legacy YAML shape is kept as written and mirrored raw", async () => {
        const r = await post(b, "/api/schedules", yaml, true);
        assert.equal(r.status, 200, r.body);
        const all = await b.json<Record<string, unknown>[]>("GET", "/api/schedules");
        assert.deepEqual(all.map((s) => s.id), ["hourly", "legacy"]);
        assert.deepEqual(all[1], {
          id: "legacy",
          cron: "0 */5 * * * *",
          job_id: "cleanup",
          target: { groups: [], pcs: [], all: true },
          mode: "once_per_pc",
          cooldown: "6h",
          auto_disable_when_done: false,
          runs_on: "backend",
          enabled: true,
        });
        const y = await b.request("/api/schedules/legacy/yaml");
        assert.equal(y.status, 200);
        assert.match(y.headers.get("content-type") ?? "", /yaml/);
        assert.equal(await y.text(), yaml);
        const y2 = await (await b.request("/api/schedules/hourly/yaml")).text();
        assert.match(y2, /per_pc:\n\s+every: 1h/);
        assert.equal((await b.request("/api/schedules/nope/yaml")).status, 404);
      });
      await t.step("validate() messages, strictness and the catalog check are 400s", async () => {
        const cases: [unknown, string][] = [
          [
            { id: "x", job_id: "cleanup", when: { per_target: "once" }, runs_on: "agent" },
            "when.per_target needs fleet-wide completion data and is backend-only",
          ],
          [
            {
              id: "x",
              job_id: "cleanup",
              when: { calendar: { at: "2026-12-24 18:00", days: ["mon"] } },
            },
            "when.at with a date is a one-shot and cannot be combined with days",
          ],
          [
            {
              id: "x",
              job_id: "cleanup",
              when: { per_pc: "once" },
              on_failure: { retry: { max: 11, backoff: "1m" } },
            },
            "on_failure.retry.max must be 1..=10 (got 11)",
          ],
          [{ id: "x", job_id: "cleanup", cron: "0 * * * *" }, "cron: invalid cron '0 * * * *'"],
          [
            { id: "x", job_id: "missing", when: { per_pc: "once" }, target: { all: true } },
            "job_id 'missing' is not in the job catalog",
          ],
          [
            { id: "a b", job_id: "cleanup", when: { per_pc: "once" } },
            "id 'a b' is not a valid key",
          ],
          [
            { id: "x", job_id: "cleanup", when: { per_pc: "once" }, cron: "* * * * * *" },
            "not both",
          ],
          [
            { id: "x", job_id: "cleanup", when: { per_pc: "once" }, bogus: 1 },
            "unknown field `bogus`",
          ],
          ["[1,2", "invalid JSON"],
          ["[1,2]", "schedule must be a mapping"],
          [
            { id: "x", job_id: "cleanup", when: { per_pc: "once" } },
            "target must specify at least one of",
          ],
          [
            { id: "x", job_id: "cleanup", when: { per_pc: "once" }, target: { pcs: ["a b"] } },
            "target.pcs[0]: 'a b' is not a valid subject token",
          ],
          [
            {
              id: "x",
              job_id: "cleanup",
              cron: "0 * * * * *",
              rollout: { waves: [{ group: "g", delay: "soon" }] },
            },
            "invalid rollout.waves[0].delay: ",
          ],
          [{ id: 5, job_id: "cleanup", when: { per_pc: "once" } }, "id"],
        ];
        for (const [body, frag] of cases) {
          const r = await post(b, "/api/schedules", body);
          assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${r.body}`);
          const err = JSON.parse(r.body).error as string;
          assert.ok(err.includes(frag), `${err} should include ${frag}`);
        }
        const ybad = await post(b, "/api/schedules", "id: [unterminated", true);
        assert.equal(ybad.status, 400);
        assert.equal((await post(b, "/api/schedules", "just a string", true)).status, 400);
        // An agent-run schedule needs no backend target.
        const agentRun = await post(b, "/api/schedules", {
          id: "agent-run",
          job_id: "cleanup",
          when: { per_pc: { every: "1h" } },
          runs_on: "agent",
        });
        assert.equal(agentRun.status, 200, agentRun.body);
        await b.request("/api/schedules/agent-run", { method: "DELETE" });
      });
      await t.step("schema and audit", async () => {
        const schema = await b.json<Record<string, unknown>>("GET", "/api/schemas/schedule.json");
        assert.ok(JSON.stringify(schema).includes("per_target"));
        await waitFor(() => audits.filter((a) => a.action === "schedule_upsert").length === 3, {
          what: "upsert audits",
        });
        const up = audits.find((a) => a.target === "legacy")!;
        assert.equal(up.payload.cron, "0 */5 * * * *");
        assert.equal(up.payload.job_id, "cleanup");
        assert.equal(up.payload.sub !== undefined, true, "caller folded in");
      });
    } finally {
      await b.stop();
    }
  },
});

Deno.test({
  ...T,
  name: "schedules API: enable/disable with revision checks, cascade revoke, delete, upcoming",
  fn: async (t) => {
    const b = await startTestBackend();
    const audits = auditCollector(b);
    try {
      await putJob(b, "j1");
      for (
        const [id, when] of [["s-cal", { calendar: { at: "23:59" } }], ["s-min", {
          per_pc: "once",
        }]]
      ) {
        const r = await post(b, "/api/schedules", {
          id,
          job_id: "j1",
          when,
          target: { all: true },
          tz: "utc",
        });
        assert.equal(r.status, 200, r.body);
      }
      const kv = await b.deps.nats.kv(BUCKET.schedules);
      await t.step("disable keeps a concurrent edit and flips only the flag", async () => {
        // An edit lands after the engine read revision r: auto-disable must not clobber it.
        const before = (await kv.get("s-min"))!.revision;
        const edited = { ...JSON.parse(utf8((await kv.get("s-min"))!.value)), jitter: "5s" };
        await kv.put("s-min", JSON.stringify(edited));
        assert.equal(
          (await setEnabled(kv, "s-min", false, { expectRevision: before })).status,
          "stale",
        );
        assert.equal(JSON.parse(utf8((await kv.get("s-min"))!.value)).enabled, true);
        const r = await post(b, "/api/schedules/s-min/disable?cascade=false", "");
        assert.equal(r.status, 204, r.body);
        const now = JSON.parse(utf8((await kv.get("s-min"))!.value));
        assert.equal(now.enabled, false);
        assert.equal(now.jitter, "5s", "the concurrent edit survived");
      });
      await t.step("cascade revokes the job; enable does not un-revoke", async () => {
        assert.equal((await post(b, "/api/schedules/s-cal/disable?cascade=true", "")).status, 204);
        const ss = await b.deps.nats.kv(BUCKET.scriptStatus);
        assert.equal(utf8((await ss.get("j1"))!.value), SCRIPT_STATUS_REVOKED);
        assert.equal((await post(b, "/api/schedules/s-cal/enable", "")).status, 204);
        assert.equal(JSON.parse(utf8((await kv.get("s-cal"))!.value)).enabled, true);
        assert.equal(utf8((await ss.get("j1"))!.value), SCRIPT_STATUS_REVOKED);
      });
      await t.step("bad input and missing ids", async () => {
        assert.equal((await post(b, "/api/schedules/s-cal/disable?cascade=maybe", "")).status, 400);
        assert.equal((await post(b, "/api/schedules/ghost/disable", "")).status, 404);
        assert.equal((await post(b, "/api/schedules/ghost/enable", "")).status, 404);
      });
      await t.step("upcoming lists enabled schedules by next run", async () => {
        assert.equal((await post(b, "/api/schedules/s-min/enable", "")).status, 204);
        const up = await b.json<Record<string, string>[]>("GET", "/api/schedules/upcoming?limit=5");
        assert.deepEqual(up.map((u) => u.id), ["s-min", "s-cal"]);
        assert.equal(up[0].when, "per_pc once");
        assert.equal(up[1].when, "calendar 23:59");
        assert.match(up[1].next_run, /T23:59:00Z$/);
        assert.ok(Date.parse(up[0].next_run) - Date.now() <= 60_000);
        const one = await b.json<unknown[]>("GET", "/api/schedules/upcoming?limit=1");
        assert.equal(one.length, 1);
        assert.equal((await b.request("/api/schedules/upcoming?limit=0")).status, 400);
      });
      await t.step("delete is 204 even when absent", async () => {
        const d = await b.request("/api/schedules/s-cal", { method: "DELETE" });
        assert.equal(d.status, 204);
        assert.equal((await b.request("/api/schedules/s-cal", { method: "DELETE" })).status, 204);
        const all = await b.json<{ id: string }[]>("GET", "/api/schedules");
        assert.deepEqual(all.map((s) => s.id), ["s-min"]);
      });
      await waitFor(
        () =>
          ["schedule_enable", "schedule_disable", "schedule_delete"].every((a) =>
            audits.some((x) => x.action === a)
          ),
        { what: "audits" },
      );
      const dis = audits.find((a) => a.action === "schedule_disable" && a.target === "s-cal")!;
      assert.equal(dis.payload.cascade, true);
      assert.equal(dis.payload.job_id, "j1");
    } finally {
      await b.stop();
    }
  },
});

Deno.test({
  ...T,
  name: "freeze API: set, validate, read, clear (audited)",
  fn: async () => {
    const b = await startTestBackend();
    const audits = auditCollector(b);
    try {
      assert.deepEqual(await b.json("GET", "/api/freeze"), { frozen: false, freeze: null });
      const put = (body: unknown) =>
        b.request("/api/freeze", {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const bad = await put({ from: "2026-02-01", until: "2026-01-01", tz: "utc" });
      assert.equal(bad.status, 400);
      assert.equal(
        (await bad.json()).error,
        "freeze.from (2026-02-01) must be strictly before freeze.until (2026-01-01)",
      );
      assert.equal((await put({ from: "nope" })).status, 400);
      assert.equal((await put({ tz: "mars" })).status, 400);
      assert.equal((await put(null)).status, 400);
      assert.equal((await put([1])).status, 400);
      assert.equal((await put({ from: "2026-01-01", extra: 1 })).status, 400);
      const ok = await put({ reason: "change window", until: "2999-01-01", tz: "utc" });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), {
        frozen: true,
        freeze: { until: "2999-01-01", reason: "change window", tz: "utc" },
      });
      const kv = await b.deps.nats.kv(BUCKET.fleetConfig);
      assert.equal(
        utf8((await kv.get("freeze"))!.value),
        `{"until":"2999-01-01","reason":"change window","tz":"utc"}`,
      );
      assert.equal((await b.json<{ frozen: boolean }>("GET", "/api/freeze")).frozen, true);
      assert.equal((await b.request("/api/freeze", { method: "DELETE" })).status, 204);
      assert.deepEqual(await b.json("GET", "/api/freeze"), { frozen: false, freeze: null });
      await waitFor(
        () =>
          audits.some((a) => a.action === "freeze_set") &&
          audits.some((a) => a.action === "freeze_clear"),
        { what: "freeze audits" },
      );
    } finally {
      await b.stop();
    }
  },
});

Deno.test({
  ...T,
  name: "schedules API + scheduler: an edit applies on the next tick, delete stops it",
  fn: async () => {
    const b = await startTestBackend();
    const sched = await startScheduler(b.deps, { leaseTtlMs: 3000 });
    try {
      await waitFor(() => sched.engine.isLeader(), { what: "leader" });
      await putJob(b, "edit-job");
      const body = (pc: string) => ({
        id: "edit-me",
        cron: "* * * * * *",
        job_id: "edit-job",
        target: { pcs: [pc] },
      });
      const subjectsOf = async () => {
        const rs = await b.deps.db.execute(
          "SELECT exec_id FROM executions WHERE job_id = 'edit-job' ORDER BY initiated_at",
        );
        return rowsOf<{ exec_id: string }>(rs).length;
      };
      const seen: string[] = [];
      b.deps.nats.nc.subscribe("commands.pc.*", { callback: (_e, m) => void seen.push(m.subject) });
      assert.equal((await post(b, "/api/schedules", body("pc-a"))).status, 200);
      await waitFor(() => seen.includes("commands.pc.pc-a"), { what: "fire at pc-a" });
      assert.equal((await post(b, "/api/schedules", body("pc-b"))).status, 200);
      const editedAt = Date.now();
      await waitFor(() => seen.includes("commands.pc.pc-b"), {
        what: "fire at pc-b",
        timeoutMs: 3000,
      });
      assert.ok(Date.now() - editedAt < 2500, "edit applied by the next tick");
      const aCount = seen.filter((s) => s === "commands.pc.pc-a").length;
      await new Promise((r) => setTimeout(r, 1200));
      assert.ok(seen.filter((s) => s === "commands.pc.pc-a").length <= aCount + 1);
      assert.equal((await b.request("/api/schedules/edit-me", { method: "DELETE" })).status, 204);
      await new Promise((r) => setTimeout(r, 300));
      const n = await subjectsOf();
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(await subjectsOf(), n, "no fire after delete");
      assert.ok((await schedulerExecs(b, "edit-job")).length >= 2);
    } finally {
      await sched.stop();
      await b.stop();
    }
  },
});
