/**
 * Agents, audit, health, inventory, obs and the SSE feed end to end: wire messages in
 * through the projectors (real broker), JSON out of the API.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { openSse } from "./helpers/sse.ts";
import { encodeExecResult, encodeHeartbeat, type Heartbeat } from "../wire/messages.ts";
import { encodeObsEvent } from "../wire/obs.ts";
import { encodeHostPerf, encodeProcessPerf } from "../wire/perf.ts";
import { BUCKET, subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { dbTs, nowWire, wireTs } from "../wire/time.ts";
import { recordAudit } from "../lib/audit.ts";
import { classifyFleet, nearestRank } from "../lib/reads/health.ts";

function hb(b: TestBackend, h: Partial<Heartbeat> & { pc_id: string }) {
  b.deps.nats.nc.publish(
    subjects.heartbeat(h.pc_id),
    jsonBytes(encodeHeartbeat({ at: nowWire(), agent_version: "0.43.1", ...h } as Heartbeat)),
  );
}

Deno.test("agents: heartbeat projector + list/detail/versions", async (t) => {
  const b = await startTestBackend({ projectors: ["heartbeat", "host_perf", "process_perf"] });
  try {
    await new Promise((r) => setTimeout(r, 100)); // core subscriptions registered
    await t.step("newest heartbeat wins; first hostname sticks", async () => {
      hb(b, {
        pc_id: "PC1",
        hostname: "first",
        os_family: "windows",
        at: wireTs(Date.now() - 2000),
        agent_version: "old",
      });
      hb(b, {
        pc_id: "PC1",
        hostname: "second",
        at: wireTs(Date.now() - 1000),
        agent_version: "0.43.2",
        agent_cpu_pct: 1.5,
      });
      hb(b, { pc_id: "PC2", hostname: "lab-x", agent_version: "0.43.1" });
      // an offline agent: heartbeat long ago
      hb(b, {
        pc_id: "OLD_1",
        hostname: "gone",
        at: "2020-01-01T00:00:00Z",
        agent_version: "0.30.0",
      });
      b.deps.nats.nc.publish(subjects.heartbeat("bad"), new TextEncoder().encode("garbage"));
      const a = await waitFor(async () => {
        const res = await b.request("/api/agents/PC1");
        return res.status === 200 ? await res.json() : null;
      }, { what: "PC1 row" });
      assert.equal(a.hostname, "first");
      assert.equal(a.os_family, "windows");
      assert.equal(a.agent_version, "0.43.2");
      assert.equal(a.agent_cpu_pct, 1.5);
      assert.equal(a.online, true);
      hb(b, { pc_id: "PC1", hostname: "third", at: wireTs(Date.now()), agent_version: "0.43.2" });
      await waitFor(async () =>
        (await b.json<{ hostname: string; last_heartbeat: string }>("GET", "/api/agents/PC1"))
          .last_heartbeat > a.last_heartbeat
      );
      assert.equal(
        (await b.json<{ hostname: string }>("GET", "/api/agents/PC1")).hostname,
        "first",
      );
      await waitFor(async () => (await b.request("/api/agents/OLD_1")).status === 200);
    });
    await t.step("list: counts, status, q (LIKE escaped), paging", async () => {
      const res = await b.request("/api/agents");
      assert.equal(res.headers.get("x-total-count"), "3");
      assert.equal(res.headers.get("x-online-count"), "2");
      assert.equal(res.headers.get("x-offline-count"), "1");
      const on = await b.request("/api/agents?status=offline");
      assert.deepEqual((await on.json()).map((r: { pc_id: string }) => r.pc_id), ["OLD_1"]);
      assert.equal(on.headers.get("x-online-count"), "2");
      const q = await b.json<{ pc_id: string }[]>("GET", "/api/agents?q=LAB");
      assert.deepEqual(q.map((r) => r.pc_id), ["PC2"]);
      const esc = await b.json<{ pc_id: string }[]>("GET", "/api/agents?q=D_");
      assert.deepEqual(esc.map((r) => r.pc_id), ["OLD_1"]); // `_` is literal, not a wildcard
      const paged = await b.request("/api/agents?limit=1&offset=1");
      assert.equal((await paged.json()).length, 1);
      assert.equal(paged.headers.get("x-total-count"), "3");
      assert.equal((await b.request("/api/agents?status=maybe")).status, 400);
      assert.equal((await b.request("/api/agents/NOPE")).status, 404);
    });
    await t.step("versions", async () => {
      const v = await b.json<{ version: string; total: number; active: number }[]>(
        "GET",
        "/api/agents/versions",
      );
      assert.deepEqual(
        v.sort((x, y) => x.version.localeCompare(y.version)),
        [{ version: "0.30.0", total: 1, active: 0 }, { version: "0.43.1", total: 1, active: 1 }, {
          version: "0.43.2",
          total: 1,
          active: 1,
        }],
      );
    });
    await t.step("host_perf and process_perf land", async () => {
      const at = nowWire();
      b.deps.nats.nc.publish(
        subjects.hostPerf("PC1"),
        jsonBytes(encodeHostPerf({ pc_id: "PC1", at, cpu_pct: 12.5 })),
      );
      b.deps.nats.nc.publish(
        subjects.processPerf("PC1"),
        jsonBytes(
          encodeProcessPerf({
            pc_id: "PC1",
            at,
            processes: [{ pid: 1, name: "a", cpu_pct: 1.5, rss_bytes: 10 }, {
              pid: 2,
              name: "b",
              cpu_pct: 0.5,
              rss_bytes: 20,
            }],
          }),
        ),
      );
      await waitFor(async () =>
        Number(
          (await b.deps.db.execute("SELECT COUNT(*) AS n FROM process_perf_samples")).rows[0].n,
        ) === 2
      );
      const h = (await b.deps.db.execute("SELECT * FROM host_perf_samples")).rows[0];
      assert.equal(h.cpu_pct, 12.5);
      assert.equal(h.at, dbTs(at));
    });
    await t.step("fleet health ok (agents active, resources present)", async () => {
      const res = await b.request("/api/health/fleet");
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.status, "ok");
      assert.deepEqual(body.agents, { known: 3, active: 2, stale: 1 });
      assert.equal(body.jetstream.all_ok, true);
    });
    await t.step("fleet health degraded → 503 with the same JSON body", async () => {
      await b.deps.nats.jsm.streams.delete("KV_agents_state");
      const res = await b.request("/api/health/fleet");
      assert.equal(res.status, 503);
      const body = await res.json();
      assert.equal(body.status, "degraded");
      assert.deepEqual(body.jetstream.missing, ["KV_agents_state"]);
    });
  } finally {
    await b.stop();
  }
});

Deno.test("classifyFleet and nearestRank", async (t) => {
  for (
    const [known, active, missing, want] of [
      [0, 0, 0, "unknown"],
      [3, 0, 0, "degraded"],
      [3, 1, 0, "ok"],
      [3, 3, 1, "degraded"],
      [0, 0, 2, "degraded"],
    ] as const
  ) {
    await t.step(
      `${known}/${active}/${missing}`,
      () => assert.equal(classifyFleet(known, active, missing), want),
    );
  }
  assert.equal(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 10);
  assert.equal(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
  assert.equal(nearestRank([], 50), 0);
});

Deno.test("audit, obs, inventory, scan durations and the SSE feed", async (t) => {
  const b = await startTestBackend({ projectors: ["results", "events", "audit", "obs"] });
  try {
    await t.step("audit: projected once per stream message, filters, payload parsed", async () => {
      await recordAudit(b.deps.nats, {
        action: "job_upsert",
        target: "job-a",
        payload: { version: "1.0", note: "100%_done" },
      });
      await recordAudit(b.deps.nats, {
        actor: "scheduler",
        action: "exec",
        target: "job-b",
        payload: null,
      });
      const rows = await waitFor(async () => {
        const r = await b.json<{ action: string; payload: unknown }[]>("GET", "/api/audit");
        return r.length === 2 ? r : null;
      }, { what: "2 audit rows" });
      assert.equal(rows[0].action, "exec");
      assert.deepEqual(rows[1].payload, { version: "1.0", note: "100%_done" });
      assert.equal((await b.json<unknown[]>("GET", "/api/audit?actor=sched")).length, 1);
      assert.equal((await b.json<unknown[]>("GET", "/api/audit?payload=100%25_")).length, 1);
      assert.equal((await b.json<unknown[]>("GET", "/api/audit?payload=1000")).length, 0);
      assert.equal((await b.request("/api/audit?limit=501")).status, 400);
      assert.equal((await b.request("/api/audit?since=nope")).status, 400);
    });
    await t.step("obs events: dedupe, filters, kinds, recent", async () => {
      const ev = (pc: string, id: string | null, kind: string, at: string) =>
        b.deps.nats.js.publish(
          subjects.obs(pc),
          jsonBytes(
            encodeObsEvent({
              pc_id: pc,
              at,
              kind,
              source: "winlog:Security",
              event_record_id: id,
              payload: { id },
            }),
          ),
        );
      await ev("PC1", "1", "logon", "2026-06-20T10:00:00Z");
      await ev("PC1", "1", "logon", "2026-06-20T10:00:00Z"); // resend
      await ev("PC2", "1", "logon", "2026-06-20T10:01:00Z"); // same id, other PC
      await ev("PC1", null, "boot", "2026-06-20T09:00:00Z");
      await ev("PC1", null, "boot", "2026-06-20T09:00:00Z"); // NULL ids never collide
      const all = await waitFor(async () => {
        const r = await b.json<{ events: { pc_id: string; kind: string; at: string }[] }>(
          "GET",
          "/api/obs_events",
        );
        return r.events.length === 4 ? r.events : null;
      }, { what: "4 obs rows" });
      assert.equal(all[0].at, "2026-06-20T10:01:00Z");
      const f = await b.json<{ events: unknown[] }>(
        "GET",
        "/api/obs_events?pc_id=PC1&kinds=logon,shutdown&from=2026-06-20T09:30:00Z",
      );
      assert.equal(f.events.length, 1);
      assert.deepEqual(await b.json("GET", "/api/obs_events/kinds"), { kinds: ["boot", "logon"] });
      assert.equal(
        (await b.json<{ events: unknown[] }>("GET", "/api/obs_events/recent?limit=2")).events
          .length,
        2,
      );
      assert.equal((await b.request("/api/obs_events?limit=0")).status, 400);
      assert.equal(
        (await b.request("/api/obs_events?from=2026-06-20T10:00:00Z&to=2026-06-20T09:00:00Z"))
          .status,
        400,
      );
    });
    await t.step("inventory facts from a result of an inventory job", async () => {
      const kv = await b.deps.nats.kv(BUCKET.jobs);
      await kv.put(
        "inv-hw",
        JSON.stringify({
          id: "inv-hw",
          version: "1",
          description: "hardware",
          execute: { shell: "powershell", script: "x", timeout: "1m" },
          inventory: { display: [{ field: "cpu", label: "CPU" }] },
        }),
      );
      await new Promise((r) => setTimeout(r, 200)); // the manifest cache watch sees the put
      const pub = (pc: string, stdout: string, finished: string) =>
        b.deps.nats.js.publish(
          subjects.results(crypto.randomUUID()),
          jsonBytes(
            encodeExecResult(
              {
                result_id: crypto.randomUUID(),
                request_id: "r",
                pc_id: pc,
                exit_code: 0,
                stdout,
                stderr: "",
                started_at: "2026-06-20T00:00:00Z",
                finished_at: finished,
                manifest_id: "inv-hw",
              } as never,
            ),
          ),
        );
      await pub("PC1", `{"cpu":"i7"}`, "2026-06-20T00:00:02Z");
      await pub("PC2", `not json`, "2026-06-20T00:00:02Z"); // logged, not fatal
      await pub("PC3", `{"cpu":"m2"}`, "2026-06-20T00:00:03Z");
      const byJob = await waitFor(async () => {
        const r = await b.json<
          { total: number; rows: { pc_id: string; facts: unknown }[]; display: unknown }
        >("GET", "/api/inventory/by-job/inv-hw");
        return r.total === 2 ? r : null;
      }, { what: "2 facts" });
      assert.deepEqual(byJob.rows.map((r) => r.pc_id), ["PC1", "PC3"]);
      assert.deepEqual(byJob.display, [{ field: "cpu", label: "CPU" }]);
      const pc = await b.json<{ job_id: string; facts: unknown; collected_at: string }[]>(
        "GET",
        "/api/inventory/PC1",
      );
      assert.deepEqual(pc[0].facts, { cpu: "i7" });
      assert.equal(pc[0].collected_at, "2026-06-20T00:00:02Z");
      const jobs = await b.json<{ manifest_id: string; pc_count: number }[]>(
        "GET",
        "/api/inventory/jobs",
      );
      assert.deepEqual(jobs.map((j) => [j.manifest_id, j.pc_count]), [["inv-hw", 2]]);
      // A hint without `history_scalars` lists none (the dashboard's field picker reads it).
      assert.deepEqual((jobs[0] as { history_scalars?: unknown }).history_scalars, []);
      assert.equal((await b.request("/api/inventory/by-job/nope")).status, 404);
      assert.deepEqual(await b.json("GET", "/api/inventory/UNKNOWN-PC"), []);
    });
    await t.step("scan durations per job", async () => {
      const d = await b.json<{ job_id: string; count: number; max_ms: number }[]>(
        "GET",
        "/api/health/scan_durations?since=2026-06-19T00:00:00Z",
      );
      assert.deepEqual(d.map((x) => [x.job_id, x.count, x.max_ms]), [["inv-hw", 3, 3000]]);
      assert.equal((await b.request("/api/health/scan_durations?since=bad")).status, 400);
    });
    await t.step("SSE: a committed result pushes a `result` event", async () => {
      const sse = await openSse(b, "?kinds=result");
      const id = crypto.randomUUID();
      await b.deps.nats.js.publish(
        subjects.results("sse"),
        jsonBytes(
          encodeExecResult(
            {
              result_id: id,
              request_id: "sse",
              pc_id: "PC9",
              exit_code: 0,
              stdout: "",
              stderr: "",
              started_at: nowWire(),
              finished_at: nowWire(),
            } as never,
          ),
        ),
      );
      await waitFor(() => sse.text().includes(id), { what: "SSE result event" });
      assert.match(sse.text(), /event: result/);
      await sse.close();
    });
  } finally {
    await b.stop();
  }
});
