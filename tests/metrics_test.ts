/**
 * `GET /metrics` against the real backend (private broker, libSQL file): who may scrape,
 * and that every family moves when the thing it counts happens — HTTP by route pattern and
 * status, projector batches / messages / poison, durable pending and lag read from the
 * broker, agents online / offline from the database, SSE clients, scheduler fires, skips
 * and lease state.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { openSse } from "./helpers/sse.ts";
import { publishResult } from "./helpers/results.ts";
import { everySecond, putJob, putSchedule, T } from "./helpers/scheduler.ts";
import { mintJwt } from "../lib/auth.ts";
import { skipReasonLabel } from "../lib/metrics.ts";
import { isProjectorDurable } from "../lib/reads/metrics_scrape.ts";
import { ensureConsumer } from "../projectors/js_consumer.ts";
import { startProjectors } from "../projectors/mod.ts";
import { encodeHeartbeat, type Heartbeat } from "../wire/messages.ts";
import { CONSUMER, STREAM, subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { nowWire } from "../wire/time.ts";

const METRICS_TOKEN = "metrics-scrape-token-0123456789";
const JWT_SECRET = "metrics-test-secret-0123456789abcdef";

/**
 * The sum of the samples of `name` whose labels include `labels` (0 when there is none):
 * a tiny reader of the Prometheus text format, enough for these assertions.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

async function scrape(b: TestBackend): Promise<string> {
  const r = await b.request("/metrics");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return await r.text();
}

function heartbeat(b: TestBackend, pc: string, at = nowWire()) {
  b.deps.nats.nc.publish(
    subjects.heartbeat(pc),
    jsonBytes(encodeHeartbeat({ pc_id: pc, at, agent_version: "0.43.1" } as Heartbeat)),
  );
}

Deno.test("metrics: bounded skip-reason labels; projector durables by name", () => {
  assert.equal(skipReasonLabel("fire failed: broker timeout after 2000 ms"), "fire failed");
  assert.equal(
    skipReasonLabel("corrupt constraints.window (25:00-26:00)"),
    "corrupt constraints.window",
  );
  assert.equal(
    skipReasonLabel("corrupt constraints.skip_dates entry '2026-13-01'"),
    "corrupt constraints.skip_dates entry",
  );
  assert.equal(skipReasonLabel("fleet freeze"), "fleet freeze");
  assert.equal(skipReasonLabel(""), "other");
  assert.equal(isProjectorDurable(CONSUMER.results), true);
  assert.equal(isProjectorDurable(`${CONSUMER.audit}_node2`), true);
  assert.equal(isProjectorDurable("agent_PC-1"), false);
});

Deno.test("GET /metrics: the scrape token or a viewer; the scrape token reads nothing else", async () => {
  const b = await startTestBackend({
    env: { KANADE_METRICS_TOKEN: METRICS_TOKEN, KANADE_JWT_SECRET: JWT_SECRET },
  });
  try {
    const as = (token?: string) => (path: string) =>
      b.request(path, { headers: { authorization: token ? `Bearer ${token}` : "" } });
    const none = await as()("/metrics");
    assert.equal(none.status, 401);
    assert.equal((await none.json()).status, 401);
    const scrape = await as(METRICS_TOKEN)("/metrics");
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /# TYPE kanade_http_request_duration_seconds histogram/);
    // The scrape token is no API credential.
    const api = await as(METRICS_TOKEN)("/api/agents");
    assert.equal(api.status, 401);
    await api.body?.cancel();
    const viewer = await mintJwt(JWT_SECRET, { sub: "v", roles: ["viewer"], ttlSecs: 60 });
    const byViewer = await as(viewer)("/metrics");
    assert.equal(byViewer.status, 200);
    await byViewer.body?.cancel();
    const noRole = await mintJwt(JWT_SECRET, { sub: "n", roles: [], ttlSecs: 60 });
    const forbidden = await as(noRole)("/metrics");
    assert.equal(forbidden.status, 403);
    await forbidden.body?.cancel();
    const wrong = await as("not-the-metrics-token-at-all")("/metrics");
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
  } finally {
    await b.stop();
  }
});

Deno.test("config: KANADE_METRICS_TOKEN shorter than 16 characters is refused", async () => {
  const { loadConfig } = await import("../lib/config.ts");
  assert.throws(
    () => loadConfig({ args: [], env: { KANADE_METRICS_TOKEN: "short" } }),
    /config: metricsToken: must be at least 16 characters/,
  );
});

Deno.test({
  name: "metrics move: HTTP by route pattern, projectors, durable lag, poison, agents, SSE",
  ...T,
  fn: async (t) => {
    // A short alive window, so an agent goes offline within the test.
    const b = await startTestBackend({
      projectors: ["heartbeat"],
      env: { KANADE_ALIVE_WINDOW_SECS: "2" },
    });
    /** Components this test starts itself (stopped in the teardown if a step failed). */
    const started: { stop(): Promise<void> }[] = [];
    try {
      await t.step("HTTP: the route pattern and status, never the raw path", async () => {
        const before = await scrape(b);
        const labels = { method: "GET", route: "/api/agents/:pc_id", status: "404" };
        for (const pc of ["PC-NOPE-1", "PC-NOPE-2"]) {
          const r = await b.request(`/api/agents/${pc}`);
          assert.equal(r.status, 404);
          await r.body?.cancel();
        }
        const after = await scrape(b);
        const count = "kanade_http_request_duration_seconds_count";
        assert.equal(sample(after, count, labels) - sample(before, count, labels), 2);
        assert.ok(
          sample(after, "kanade_http_request_duration_seconds_bucket", {
            ...labels,
            le: "+Inf",
          }) >= 2,
        );
        assert.doesNotMatch(after, /PC-NOPE/, "no raw path in a label");
        // Unknown paths count under the catch-all, dashboard files as `static`: never one
        // series per path.
        const unknown = { method: "GET", route: "/api/*", status: "404" };
        const files = { method: "GET", route: "static", status: "200" };
        const r = await b.request("/api/no/such/route/x1");
        assert.equal(r.status, 404);
        await r.body?.cancel();
        const page = await b.request("/agents");
        assert.equal(page.status, 200);
        await page.body?.cancel();
        const last = await scrape(b);
        assert.doesNotMatch(last, /no\/such\/route|route="\/agents"/);
        assert.equal(sample(last, count, unknown) - sample(after, count, unknown), 1);
        assert.equal(sample(last, count, files) - sample(after, count, files), 1);
      });

      await t.step("agents online and offline, heartbeat batches and poison", async () => {
        await new Promise((r) => setTimeout(r, 100)); // core subscription registered
        const before = await scrape(b);
        heartbeat(b, "PC-M1");
        heartbeat(b, "PC-M2");
        heartbeat(b, "PC-OLD", "2020-01-01T00:00:00Z");
        b.deps.nats.nc.publish(subjects.heartbeat("PC-BAD"), new TextEncoder().encode("junk"));
        const hb = { projector: "heartbeat", durable: "" };
        const text = await waitFor(async () => {
          const s = await scrape(b);
          return sample(s, "kanade_agents", { state: "online" }) === 2 ? s : null;
        }, { what: "two agents online" });
        assert.equal(sample(text, "kanade_agents", { state: "offline" }), 1);
        assert.equal(
          sample(text, "kanade_projector_messages_total", hb) -
            sample(before, "kanade_projector_messages_total", hb),
          3,
        );
        assert.ok(
          sample(text, "kanade_projector_batches_total", hb) >
            sample(before, "kanade_projector_batches_total", hb),
        );
        assert.equal(
          sample(text, "kanade_projector_poison_total", hb) -
            sample(before, "kanade_projector_poison_total", hb),
          1,
        );
        // No heartbeat for longer than the alive window: offline.
        await waitFor(
          async () => sample(await scrape(b), "kanade_agents", { state: "offline" }) === 3,
          {
            what: "every agent offline",
            timeoutMs: 8_000,
          },
        );
      });

      await t.step("durable pending / lag from the broker; results batches; poison", async () => {
        const durable = CONSUMER.results;
        const l = { stream: STREAM.results, durable };
        // The durable exists but no results projector runs yet: results wait in it.
        await ensureConsumer(b.deps, { stream: STREAM.results, durable }, 30_000);
        for (let i = 0; i < 3; i++) {
          await publishResult(b.deps.nats.js, "PC-M1", crypto.randomUUID());
        }
        await b.deps.nats.js.publish(subjects.results(crypto.randomUUID()), jsonBytes({ no: 1 }));
        const waiting = await scrape(b);
        assert.equal(sample(waiting, "kanade_projector_pending_messages", l), 4);
        assert.equal(sample(waiting, "kanade_projector_lag_messages", l), 4);
        const rl = { projector: "results", durable };
        const appliedBefore = sample(waiting, "kanade_projector_messages_total", rl);
        const poisonBefore = sample(waiting, "kanade_projector_poison_total", rl);
        const projectors = await startProjectors(b.deps, { only: ["results"] });
        started.push(projectors);
        const done = await waitFor(async () => {
          const s = await scrape(b);
          return sample(s, "kanade_projector_lag_messages", l) === 0 &&
              sample(s, "kanade_projector_messages_total", rl) - appliedBefore === 3
            ? s
            : null;
          // The results writer thread starts (and compiles) first: allow for a loaded box.
        }, { what: "the results durable drained", timeoutMs: 30_000 });
        assert.equal(sample(done, "kanade_projector_pending_messages", l), 0);
        assert.equal(sample(done, "kanade_projector_poison_total", rl) - poisonBefore, 1);
        assert.ok(sample(done, "kanade_projector_batches_total", rl) >= 1);
        // A stopped projector keeps its counts (counters never go down in a process).
        await started.pop()!.stop();
        const after = await scrape(b);
        assert.equal(sample(after, "kanade_projector_messages_total", rl) - appliedBefore, 3);
      });

      await t.step(
        "memory: RSS, the V8 heap in use within the committed heap, external",
        async () => {
          const m = await scrape(b);
          const used = sample(m, "kanade_heap_used_bytes");
          const total = sample(m, "kanade_heap_total_bytes");
          assert.ok(used > 0 && total >= used, `heap used ${used} within committed ${total}`);
          assert.ok(sample(m, "process_resident_memory_bytes") > total);
          assert.ok(sample(m, "kanade_external_memory_bytes") > 0);
        },
      );

      await t.step("SSE clients: up while a stream is open, down when it closes", async () => {
        const before = sample(await scrape(b), "kanade_sse_clients");
        const sse = await openSse(b);
        assert.equal(sample(await scrape(b), "kanade_sse_clients") - before, 1);
        await sse.close();
        await waitFor(async () => sample(await scrape(b), "kanade_sse_clients") === before, {
          what: "SSE client gone",
        });
      });
    } finally {
      for (const c of started) await c.stop();
      await b.stop();
    }
  },
});

Deno.test({
  name: "metrics move: scheduler fires, skips by reason, lease state",
  ...T,
  fn: async () => {
    const b = await startTestBackend({
      scheduler: true,
      env: { KANADE_SCHEDULER_LEASE_SECS: "3" },
    });
    try {
      const leader = await waitFor(async () => {
        const s = await scrape(b);
        return sample(s, "kanade_scheduler_leader") === 1 ? s : null;
      }, { what: "the scheduler leads", timeoutMs: 15_000 });
      assert.match(leader, /kanade_scheduler_leader\{holder="node1-[0-9a-f]{8}"\} 1/);
      const firesBefore = sample(leader, "kanade_scheduler_fires_total");
      await putJob(b.deps, "metrics-job");
      await putSchedule(b.deps, everySecond("metrics-every", "metrics-job", { pcs: ["PC-M1"] }));
      await waitFor(
        async () => sample(await scrape(b), "kanade_scheduler_fires_total") >= firesBefore + 2,
        {
          what: "two fires counted",
          timeoutMs: 15_000,
        },
      );
      const skip = { reason: "fleet freeze" };
      const skipsBefore = sample(await scrape(b), "kanade_scheduler_skips_total", skip);
      await b.json("PUT", "/api/freeze", {});
      await waitFor(
        async () =>
          sample(await scrape(b), "kanade_scheduler_skips_total", skip) >= skipsBefore + 2,
        {
          what: "frozen ticks counted as skips",
          timeoutMs: 15_000,
        },
      );
      await b.json("DELETE", "/api/freeze");
    } finally {
      await b.stop();
    }
  },
});
