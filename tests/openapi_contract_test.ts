/**
 * Contract test: on a populated backend (real broker, real DB, projectors, simulated agents
 * speaking the wire protocol), every GET route is called and its real answer is checked
 * against the response schema its RouteDef declares — status, media type and body. The
 * writes that populate the backend are checked against their declared responses too.
 * A GET route the table below cannot call fails the test: a new route must be added here.
 */
import assert from "node:assert/strict";
import { retryWhile } from "../util/retry.ts";
import type { z } from "zod";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { type Fleet, startFleet } from "../simulator/fleet.ts";
import { appsInventoryYaml } from "./helpers/inventory_job.ts";
import { allRoutes } from "../handlers/routes.ts";
import type { ResponseDecl, RouteDef } from "../handlers/route.ts";
import { pathFits } from "../handlers/router.ts";
import { ErrorBodySchema, openApiPath } from "../handlers/openapi.ts";
import { formatIssues } from "../wire/zod_issues.ts";
import { emitEventsYaml } from "./helpers/emit_job.ts";

const PCS = ["PC-0001", "PC-0002", "PC-0003"];
const GROUPS: Record<string, string[]> = {
  "PC-0001": ["canary"],
  "PC-0002": ["canary"],
  "PC-0003": ["lab"],
};
const RELEASE = "9.9.2-contract";
const INV_JOB = "inv-apps-contract";
const EMIT_JOB = "emit-contract";
const HELLO_JOB = "hello-contract";
const SCHEDULE = "nightly-contract";
const CRON_SCHEDULE = "legacy-contract";
const ALERT_RULE = "contract-alert";

const HELLO_YAML = `id: ${HELLO_JOB}
version: "1.0.0"
execute:
  shell: powershell
  script: echo hello
  timeout: 30s
`;
const EMIT_YAML = emitEventsYaml(EMIT_JOB, [
  { kind: "logon", source: "agent:test", payload: { user: "alice", logon_type: 2 } },
  { kind: "service_stop", source: "agent:test", payload: { service: "Spooler" } },
]);
const INV_YAML = (version: string, chrome: string) =>
  appsInventoryYaml({
    id: INV_JOB,
    table: "inv_apps_contract",
    version,
    chrome,
    historyScalars: ["os"],
  });

/** The route a request is served by (literal segments win, as in the router). */
function routeOf(method: string, path: string): RouteDef {
  const p = path.split("?")[0];
  const fits = allRoutes.filter((r) => r.method === method && pathFits(r.path, p));
  // Prefer the route with the most literal segments (the router sorts them first).
  fits.sort((a, b) => literals(b.path) - literals(a.path));
  assert.ok(fits[0], `no route for ${method} ${p}`);
  return fits[0];
}
const literals = (p: string) => p.split("/").filter((s) => s && !s.startsWith(":")).length;

interface Checked {
  status: number;
  body: unknown;
  text: string;
}

/** Check one answer against the route's declared response for its status. */
async function checkAnswer(r: RouteDef, res: Response, where: string): Promise<Checked> {
  const decl: ResponseDecl | undefined = r.responses?.[res.status];
  const text = await res.text();
  const type = (res.headers.get("content-type") ?? "").split(";")[0].trim();
  assert.ok(
    decl !== undefined || res.status >= 400,
    `${where}: status ${res.status} is not declared (${text.slice(0, 200)})`,
  );
  const fail = (schema: z.ZodType, value: unknown, what: string) => {
    const v = schema.safeParse(value);
    if (!v.success) {
      assert.fail(
        `${where}: ${what} does not match the declared schema: ${formatIssues(v.error)}\n${
          text.slice(0, 400)
        }`,
      );
    }
  };
  let body: unknown = text;
  if (res.status >= 400 && (decl === undefined || typeof decl === "string" || !decl.json)) {
    assert.equal(type, "application/json", `${where}: an error answers JSON`);
    body = JSON.parse(text);
    fail(ErrorBodySchema, body, "the error body");
  } else if (typeof decl === "string") {
    assert.equal(text, "", `${where}: ${res.status} declares no body`);
  } else if (decl?.json) {
    assert.equal(type, "application/json", `${where}: declared JSON`);
    body = JSON.parse(text);
    fail(decl.json, body, "the JSON body");
  } else if (decl?.content) {
    const entry = Object.entries(decl.content).find(([t]) => t === type);
    assert.ok(entry, `${where}: content-type ${type} is not among ${Object.keys(decl.content)}`);
    if (type.startsWith("text/") || type === "application/yaml") fail(entry[1], text, "the text");
  }
  for (const h of Object.keys(typeof decl === "object" ? decl.headers ?? {} : {})) {
    if (h === "X-Scan-Capped") continue; // only present when a regex scan hit its cap
    assert.ok(res.headers.has(h), `${where}: declared header ${h} is missing`);
  }
  return { status: res.status, body, text };
}

async function call(
  be: TestBackend,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<Checked> {
  const init: RequestInit = { method };
  if (body instanceof FormData) init.body = body;
  else if (typeof body === "string") {
    init.body = body;
    init.headers = { "content-type": contentType };
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const r = routeOf(method, path);
  // A write that waited out its turn for the database answers 503 with retry-after (a
  // loaded CI box); a client retries it, and so does the populating here, a few times.
  return await retryWhile(async () => {
    const res = await be.request(path, init);
    const out = await checkAnswer(r, res, `${method} ${path}`);
    const where = `${method} ${path} -> ${out.status}: ${out.text.slice(0, 300)}`;
    if (out.status === 503 && res.headers.has("retry-after")) throw new RetryLater(where);
    assert.ok(out.status < 300, where);
    return out;
  }, {
    transient: (e) => e instanceof RetryLater,
    maxAttempts: 5,
    firstPauseMs: 1_000,
    maxPauseMs: 2_000,
  });
}

/** A 503 with retry-after while populating (see `call`). */
class RetryLater extends Error {}

Deno.test({
  name: "contract: every GET route's real answer matches its declared response schema",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const be = await startTestBackend({ projectors: true });
    let fleet: Fleet | null = null;
    const ids: Record<string, string> = {};
    try {
      await t.step("populate through the API (answers checked too)", async () => {
        await call(be, "PUT", "/api/config", { host_perf_interval: "1s" });
        await call(be, "PUT", "/api/groups/canary/config", { heartbeat_interval: "30s" });
        const until = new Date(Date.now() + 3_600_000).toISOString();
        await call(be, "PUT", "/api/pcs/PC-0001/config", {
          process_perf_enabled: true,
          process_perf_expires_at: until,
          process_perf_top_n: 5,
        });
        fleet = await startFleet({
          natsUrl: be.broker.url,
          agents: PCS,
          groups: (pc) => GROUPS[pc] ?? [],
          writeGroups: true,
          heartbeatIntervalMs: 1000,
          selfUpdate: false,
          seed: 14,
        });
        await waitFor(async () => {
          const r = await be.request("/api/agents?status=online&limit=10");
          await r.body?.cancel();
          return r.headers.get("x-online-count") === String(PCS.length);
        }, { timeoutMs: 15_000, what: "all simulated agents online" });
        await call(be, "PUT", "/api/agents/PC-0003/groups", { groups: ["lab", "night"] });
        await call(be, "POST", "/api/agents/PC-0003/groups", { group: "extra" });

        await call(be, "POST", "/api/jobs", HELLO_YAML, "application/yaml");
        await call(be, "POST", "/api/jobs", EMIT_YAML, "application/yaml");
        await call(be, "POST", "/api/jobs", INV_YAML("1.0.0", "120"), "application/yaml");
        const ex = await call(be, "POST", `/api/exec/${HELLO_JOB}`, {
          target: { groups: ["canary"] },
        });
        ids.exec_id = (ex.body as { exec_id: string }).exec_id;
        await call(be, "POST", `/api/exec/${EMIT_JOB}`, { target: { all: true } });
        await call(be, "POST", `/api/exec/${INV_JOB}`, { target: { all: true } });
        // A second inventory run with a new version: history rows appear.
        await call(be, "POST", "/api/jobs", INV_YAML("1.0.1", "121"), "application/yaml");
        await call(be, "POST", `/api/exec/${INV_JOB}`, { target: { all: true } });
        const run = await call(be, "POST", "/api/run", {
          pc_id: "PC-0002",
          script: "echo ad hoc",
          timeout_secs: 20,
        });
        ids.run_result_id = (run.body as { result_id: string }).result_id;

        await call(be, "POST", "/api/schedules", {
          id: SCHEDULE,
          job_id: HELLO_JOB,
          when: { calendar: { at: "03:00" } },
          target: { groups: ["lab"] },
        });
        await call(be, "POST", "/api/schedules", {
          id: CRON_SCHEDULE,
          job_id: HELLO_JOB,
          cron: "0 0 4 * * *",
          target: { all: true },
          enabled: false,
        });

        const form = new FormData();
        form.append("file", new File([new TextEncoder().encode("Write-Output 1")], "s.ps1"));
        await call(be, "POST", "/api/script-objects/contract-script/1.0.0", form);
        const bin = new FormData();
        bin.append("file", new File([new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])], "a"));
        bin.append("version", RELEASE);
        bin.append("platform", "linux");
        await call(be, "POST", "/api/agents/publish", bin);
        await call(be, "POST", "/api/agents/rollout", {
          version: RELEASE,
          scope: { type: "group", value: "lab" },
        });
        const pkg = new FormData();
        pkg.append("file", new File([new TextEncoder().encode("package bytes")], "setup.msi"));
        await call(be, "POST", "/api/app-packages/contract-app/1.0.0", pkg);
        const note = await call(be, "POST", "/api/notifications", {
          priority: "info",
          title: "Contract test",
          body: "Every GET route is checked.",
          require_ack: true,
          target: { groups: ["canary"] },
        });
        ids.notification_id = (note.body as { id: string }).id;
        await call(be, "POST", "/api/alerts", {
          name: ALERT_RULE,
          events: ["check_fail", "agent_offline"],
          scope: { kind: "groups", groups: ["canary"] },
          webhook: { url: "http://127.0.0.1:9/hook", secret: "contract-secret-0123456789" },
        });
        await call(be, "PUT", "/api/freeze", {
          reason: "contract test",
          from: new Date(Date.now() + 86_400_000).toISOString(),
        });

        await waitFor(async () => {
          const r = await be.json<{ counters: { running: number; success: number } }>(
            "GET",
            `/api/executions/${ids.exec_id}`,
          );
          if (r.counters.success !== 2) throw new Error(JSON.stringify(r.counters));
          return true;
        }, { timeoutMs: 30_000, what: "the hello exec finished on both canary PCs" });
        await waitFor(async () => {
          const h = await be.json<unknown[]>(
            "GET",
            `/api/inventory/${INV_JOB}/history/search?limit=50`,
          );
          return h.length >= 3;
        }, { what: "inventory history of the second scan" });
        await waitFor(async () => {
          const r = await be.json<{ events: unknown[] }>("GET", "/api/obs_events?limit=50");
          return r.events.length === 6;
        }, { what: "obs events projected" });
        await waitFor(async () => {
          const p = await be.json<{ latest_at: string | null }>(
            "GET",
            "/api/agents/PC-0001/processes",
          );
          const f = await be.json<{ points: unknown[] }>("GET", "/api/perf/fleet");
          return p.latest_at !== null && f.points.length > 0;
        }, { what: "host and process perf samples" });
        const results = await be.json<{ result_id: string; exec_id: string | null }[]>(
          "GET",
          `/api/results?exec_id=${ids.exec_id}`,
        );
        ids.result_id = results[0].result_id;
      });

      /** Path parameters per name; a route may override one (an `id` is not always a job). */
      const PARAMS: Record<string, string> = {
        pc_id: "PC-0001",
        job_id: HELLO_JOB,
        id: HELLO_JOB,
        manifest_id: INV_JOB,
        name: "canary",
        group: "canary",
        version: RELEASE,
        field: "apps",
      };
      const OVERRIDES: Record<string, Record<string, string>> = {
        "/api/schedules/:id/yaml": { id: SCHEDULE },
        "/api/script-objects/:name/:version": { name: "contract-script", version: "1.0.0" },
        "/api/app-packages/:name/:version": { name: "contract-app", version: "1.0.0" },
        "/api/notifications/:id": { id: ids.notification_id },
        "/api/notifications/:id/ack_status": { id: ids.notification_id },
        "/api/alerts/:name": { name: ALERT_RULE },
        "/api/alerts/:name/deliveries": { name: ALERT_RULE },
      };
      /** Extra queries, so filtered and parameterised answers are checked as well. */
      const QUERIES: Record<string, string[]> = {
        "/api/results": ["", "?status=success&limit=5", "?stdout=hello"],
        "/api/obs_events": ["", "?kinds=logon&payload_key=logon_type&payload_value=2"],
        "/api/perf/fleet": ["", "?metric=mem&agg=max&step=1m"],
        "/api/perf/top": ["", "?metric=cpu&window=10m&limit=2"],
        "/api/agents/:pc_id/processes/timeline": ["", "?metric=rss&top=3"],
        "/api/agents": ["", "?status=online&q=PC-000"],
        "/api/inventory/:manifest_id/search/:field": ["", "?name__contains=chr"],
        "/api/inventory/:manifest_id/history/search": ["", "?kind=changed"],
      };
      const concrete = (r: RouteDef) =>
        r.path.replace(/:([A-Za-z0-9_]+)/g, (_m, n: string) => {
          const v = OVERRIDES[r.path]?.[n] ?? ids[n] ?? PARAMS[n];
          assert.ok(v, `no value for :${n} of ${r.path}: add one to PARAMS or OVERRIDES`);
          return encodeURIComponent(v);
        });

      const gets = allRoutes.filter((r) => r.method === "GET");
      for (const r of gets) {
        await t.step(`GET ${openApiPath(r.path)}`, async () => {
          const path = concrete(r);
          if (r.path === "/api/events/stream") {
            await checkStream(be, r, path);
            return;
          }
          for (const q of QUERIES[r.path] ?? [""]) {
            const res = await be.request(path + q);
            const out = await checkAnswer(r, res, `GET ${path}${q}`);
            assert.ok(out.status < 300, `GET ${path}${q} -> ${out.status}: ${out.text}`);
          }
        });
      }
    } finally {
      await (fleet as Fleet | null)?.stop();
      await be.stop();
    }
  },
});

/** The event stream: headers, then the first `ready` event, then the client leaves. */
async function checkStream(be: TestBackend, r: RouteDef, path: string) {
  const ac = new AbortController();
  const res = await be.request(`${path}?kinds=result`, { signal: ac.signal });
  assert.equal(res.status, 200);
  const decl = r.responses?.[200];
  assert.ok(typeof decl === "object" && decl.content?.["text/event-stream"]);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value), /^event: ready\ndata: \{"kinds":\["result"\]\}/);
  ac.abort();
  await reader.cancel().catch(() => {});
}
