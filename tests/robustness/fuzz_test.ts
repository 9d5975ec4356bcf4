/**
 * Abuse test: thousands of random and mutated requests (bodies, query strings, path
 * parameters, headers) to EVERY route of `allRoutes` with an admin token. Passes when
 * nothing answers 5xx (except a route's documented upstream-unavailable status), every
 * error is `{error, status}` JSON, nothing hangs past the router timeout, the process
 * still serves, and the data seeded under ids the fuzzer never produces ("seedkeep") is
 * byte-identical afterwards (KV values and revisions, DB rows, release objects).
 *
 * Replay: KANADE_FUZZ_SEED=<seed> KANADE_FUZZ_N=<n> deno test -A tests/robustness/fuzz_test.ts
 * Each failure names its request index; request i uses the PRNG seeded with seed+i.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend } from "../helpers/backend.ts";
import { allRoutes } from "../../handlers/routes.ts";
import type { RouteDef } from "../../handlers/route.ts";
import { KV_BUCKETS } from "../../wire/resources.ts";
import { BUCKET, OBJECT_STORE } from "../../wire/names.ts";
import { nowDb } from "../../wire/time.ts";
import { recordFigures } from "./report_sink.ts";
import { type Rng, rng as prng } from "../helpers/rng.ts";
import { createAccount } from "../../lib/accounts/admin.ts";
import { readAccounts } from "../../lib/accounts/store.ts";

const N = Number(Deno.env.get("KANADE_FUZZ_N") ?? 2000);
const SEED = Number(Deno.env.get("KANADE_FUZZ_SEED") ?? 20261122);
/** Stop sending new requests after this long (CI bound), whatever N says. */
const BUDGET_MS = Number(Deno.env.get("KANADE_FUZZ_BUDGET_MS") ?? 50_000);
const CONCURRENCY = 4;
const REQUEST_TIMEOUT_MS = 3_000;
/** A request still open after this is a hang (router timeout + slack). */
const HANG_MS = REQUEST_TIMEOUT_MS + 2_000;
const KEEP = "seedkeep";
/** KANADE_FUZZ_DEBUG=1 prints every request before it is sent (find the one that hangs). */
const DEBUG = Deno.env.get("KANADE_FUZZ_DEBUG") === "1";

/** Upstream documents these 5xx as "the agent/broker side is unavailable", not a crash. */
const DOCUMENTED_5XX: Record<string, number[]> = {
  "GET /api/health/fleet": [503],
  "GET /api/agents/:pc_id/logs": [502, 504],
};

// ---- generators ---------------------------------------------------------------------

const NASTY = [
  "",
  " ",
  ".",
  "..",
  "*",
  ">",
  "a.b",
  "a b",
  "a*b",
  "a>b",
  "x.>",
  "commands.all",
  "\t",
  "\n",
  "%",
  "%00",
  "%2e%2e",
  "../../etc/passwd",
  "日本語",
  "🙂",
  "é",
  "\u202e",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "NaN",
  "true",
  "[]",
  "{}",
  "'; DROP TABLE agents;--",
  '" OR 1=1 --',
  "%' OR '1'='1",
  "\\",
  "_",
  "-",
  "~",
  "$",
  "a\u0000b",
  "<script>",
  "${jndi:x}",
  "(a+)+$",
  "((((((((((a*)*)*)*)*)*)*)*)*)*)*b",
  "[",
  "\\d{99999}",
  "constructor",
  "__proto__",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "5constructor",
  "1toString",
];

function randStr(rng: Rng): string {
  const r = rng.int(10);
  if (r < 4) return rng.pick(NASTY);
  if (r < 6) return `fz-${rng.int(1e6)}`;
  if (r === 6) return "x".repeat(rng.pick([64, 257, 1025, 5000]));
  if (r === 7) {
    let s = "";
    const n = 1 + rng.int(20);
    for (let i = 0; i < n; i++) {
      s += String.fromCodePoint(
        rng.pick([rng.int(128), 0x80 + rng.int(0x7ff), 0x1f600 + rng.int(50)]),
      );
    }
    return s;
  }
  if (r === 8) return new Date(Date.now() - rng.int(1e10)).toISOString();
  return rng.pick([
    "powershell",
    "cmd",
    "pwsh",
    "sh",
    "global",
    "group",
    "pc",
    "cpu",
    "avg",
    "max",
    "once",
    "added",
    "1.0.0",
    "30s",
    "5m",
    "-5m",
    "0s",
    "99999999h",
  ]);
}

function randNum(rng: Rng): number {
  return rng.pick([
    0,
    -1,
    1,
    2,
    59,
    60,
    3601,
    1e6,
    2 ** 31,
    2 ** 53 + 1,
    -(2 ** 63),
    1e308,
    0.5,
    -0.0001,
  ]);
}

function randValue(rng: Rng, depth = 0): unknown {
  const r = rng.int(depth > 3 ? 5 : 8);
  if (r === 0) return null;
  if (r === 1) return rng.chance(0.5);
  if (r === 2) return randNum(rng);
  if (r <= 4) return randStr(rng);
  if (r === 5) return Array.from({ length: rng.int(4) }, () => randValue(rng, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = rng.int(4); i > 0; i--) {
    o[rng.chance(0.7) ? rng.pick(KEYS) : randStr(rng)] = randValue(rng, depth + 1);
  }
  return o;
}

const KEYS = [
  "id",
  "version",
  "execute",
  "shell",
  "script",
  "timeout",
  "job_id",
  "pc_id",
  "pcs",
  "groups",
  "group",
  "all",
  "target",
  "cron",
  "enabled",
  "when",
  "scope",
  "type",
  "value",
  "jitter",
  "timeout_secs",
  "jitter_secs",
  "target_version",
  "heartbeat_interval",
  "rollout",
  "waves",
  "delay",
  "inventory",
  "__proto__",
  "constructor",
  "description",
  "run_as",
  "staleness",
  "tags",
  "username",
  "password",
  "role",
  "disabled",
  "mfa",
  "code",
  "secret",
  "current_code",
  "old_password",
  "new_password",
];

const MANIFEST = {
  id: "fz-job",
  version: "1.0.0",
  description: "fuzz",
  execute: { shell: "powershell", timeout: "30s", script: "Write-Output hi" },
};

/** Plausible bodies per route so mutations reach the deeper validation and write paths. */
const TEMPLATES: Record<string, unknown[]> = {
  "POST /api/jobs": [MANIFEST],
  "POST /api/schedules": [
    { id: "fz-sched", when: { per_pc: "once" }, job_id: "fz-job", target: { all: true } },
    { id: "fz-sched2", cron: "0 0 * * * *", job_id: "fz-job", enabled: true },
  ],
  "PUT /api/agents/:pc_id/groups": [{ groups: ["fz-a", "fz-b"] }],
  "POST /api/agents/:pc_id/groups": [{ group: "fz-a" }],
  "PUT /api/config": [{ target_version: "1.0.0", heartbeat_interval: "30s" }],
  "PUT /api/groups/:name/config": [{ heartbeat_interval: "45s" }],
  "PUT /api/pcs/:pc_id/config": [{ target_version: "1.0.0" }],
  "POST /api/exec/:job_id": [{ target: { pcs: ["fz-pc"] } }, {
    target: { groups: ["fz-a"] },
    jitter: "5s",
  }],
  "POST /api/run": [{ pc_id: "fz-pc", shell: "powershell", script: "hostname", timeout_secs: 1 }],
  "POST /api/agents/rollout": [{ version: "fz-1.0.0", scope: { type: "group", value: "fz-a" } }],
  "POST /api/auth/login": [{ username: "fz-user", password: "fz-password-1" }, {
    username: "fz-user",
    password: "fz-password-1",
    code: "123456",
  }],
  "POST /api/accounts": [{ username: "fz-user", password: "fz-password-1", role: "viewer" }],
  "PATCH /api/accounts/:username": [{ role: "operator" }, { disabled: true }, {
    password: "fz-password-2",
    mfa: false,
  }],
  "POST /api/auth/change-password": [{ old_password: "fz-password-1", new_password: "fz-pass-2" }],
  "POST /api/auth/mfa/verify": [{ secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", code: "123456" }],
  "POST /api/auth/mfa/disable": [{ code: "123456" }],
};

function mutate(rng: Rng, v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== "object" || depth > 4) return rng.chance(0.5) ? randValue(rng) : v;
  if (Array.isArray(v)) {
    const a = v.map((x) => (rng.chance(0.3) ? mutate(rng, x, depth + 1) : x));
    if (rng.chance(0.2)) a.push(randValue(rng));
    return a;
  }
  const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  const k = keys.length ? rng.pick(keys) : "x";
  switch (rng.int(5)) {
    case 0:
      delete o[k];
      break;
    case 1:
      o[k] = randValue(rng);
      break;
    case 2:
      o[rng.pick(KEYS)] = randValue(rng);
      break;
    default:
      o[k] = mutate(rng, o[k], depth + 1);
  }
  return o;
}

const QUERY_KEYS = [
  "limit",
  "offset",
  "since",
  "until",
  "from",
  "to",
  "step",
  "status",
  "pc_id",
  "job_id",
  "exec_id",
  "stdout",
  "stderr",
  "metric",
  "agg",
  "window",
  "top",
  "tail",
  "wait_secs",
  "cascade",
  "kind",
  "source",
  "field",
  "q",
  "action",
  "actor",
  "identity.name",
  "name__contains",
  "name__op",
  // compliance checks and the Events page's filters (issue 16)
  "check",
  "include_ok",
  "include_stale",
  "kinds",
  "kinds_ex",
  "sources",
  "sources_ex",
  "payload_key",
  "payload_value",
  "logon_type",
];

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/yaml",
  "text/yaml",
  "text/plain",
  "multipart/form-data; boundary=fz",
  "application/x-www-form-urlencoded",
  "garbage/☃",
];

interface FuzzRequest {
  index: number;
  route: RouteDef;
  url: string;
  init: RequestInit;
  describe: string;
}

/** Header values travel as bytes: what a raw UTF-8 client sends arrives as Latin-1 text. */
function latin1(s: string): string {
  return String.fromCharCode(...new TextEncoder().encode(s));
}

/** NUL, CR and LF cannot be sent in a header at all; trim like the wire does. */
function headerSafe(s: string): string {
  return [...s].filter((ch) => ch.charCodeAt(0) >= 0x20 || ch === "\t").join("").trim();
}

function encodeSegment(rng: Rng, s: string): string {
  // Mostly proper encoding; sometimes raw (the URL parser normalises what it must).
  if (rng.chance(0.15) && /^[\x21-\x7e]*$/.test(s) && !s.includes("?") && !s.includes("#")) {
    return s;
  }
  return encodeURIComponent(s);
}

function makeRequest(index: number, route: RouteDef): FuzzRequest {
  const rng = prng(SEED + index);
  let path = route.path.replace(
    /:([A-Za-z0-9_]+)(\{[^}]*\})?/g,
    () => encodeSegment(rng, rng.chance(0.3) ? `fz-${rng.int(100)}` : randStr(rng)),
  );
  path = path.replace(/\*$/, () => encodeSegment(rng, randStr(rng)));
  const q = new URLSearchParams();
  for (let i = rng.int(4); i > 0; i--) {
    q.append(rng.pick(QUERY_KEYS), rng.chance(0.5) ? randStr(rng) : String(randNum(rng)));
  }
  // Bounded waits on routes that wait for agents (their own timeouts are validated).
  if (path.endsWith("/ping") && !q.has("wait_secs")) q.set("wait_secs", "1");
  const qs = q.toString();
  const url = qs ? `${path}?${rng.chance(0.1) ? qs.replace(/%/g, "%%") : qs}` : path;
  const headers: Record<string, string> = {};
  if (rng.chance(0.8)) headers["content-type"] = latin1(rng.pick(CONTENT_TYPES));
  if (rng.chance(0.5)) {
    headers["x-kanade-source"] = headerSafe(latin1(randStr(rng))).slice(0, 300) || "fz";
  }
  if (rng.chance(0.1)) headers["accept"] = "text/event-stream";
  let body: BodyInit | undefined;
  let bodyNote = "";
  if (route.method !== "GET") {
    const key = `${route.method} ${route.path}`;
    const r = rng.int(20);
    if (TEMPLATES[key] && r < 10) {
      let v: unknown = rng.pick(TEMPLATES[key]);
      for (let i = 1 + rng.int(3); i > 0; i--) v = mutate(rng, v);
      body = headers["content-type"]?.includes("yaml") && rng.chance(0.5)
        ? JSON.stringify(v).replace(/[{}"]/g, " ")
        : JSON.stringify(v);
    } else if (r < 14) body = JSON.stringify(randValue(rng));
    else if (r === 14) {
      body = rng.pick([
        "",
        "{",
        "}",
        "null",
        "[]",
        '""',
        '{"a":',
        "\u0000",
        "a: &a [*a, *a]\nb: *a",
        "[".repeat(5000),
        '{"a":'.repeat(3000),
        '{"__proto__":{"admin":true,"id":"fz-proto"},"constructor":{"prototype":{"polluted":1}}}',
      ]);
    } else if (r === 15) body = new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x7b]);
    else if (r === 16) {
      const x = "a: &a [x,x,x,x,x,x,x,x,x]\n" +
        Array.from(
          { length: 9 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${
              Array(9).fill(`*${i === 0 ? "a" : String.fromCharCode(97 + i)}`).join(",")
            }]`,
        ).join("\n");
      body = x; // billion laughs in YAML
      headers["content-type"] = "application/yaml";
    } else if (r === 17 && rng.chance(0.2)) {
      body = JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) });
      bodyNote = " (1 MiB+ body)";
    } else if (r === 18) {
      const fd = new FormData();
      fd.append(
        rng.pick(["file", "version", "x"]),
        new Blob([new Uint8Array(rng.int(200))]),
        "fz.exe",
      );
      body = fd;
      delete headers["content-type"];
    } else body = randStr(rng);
  }
  const describe = `#${index} ${route.method} ${url.slice(0, 300)} headers=${
    JSON.stringify(headers).slice(0, 200)
  } body=${
    typeof body === "string"
      ? JSON.stringify(body.slice(0, 300))
      : body instanceof FormData
      ? "<multipart>"
      : body
      ? "<bytes>"
      : "none"
  }${bodyNote}`;
  if (describe.includes(KEEP)) return makeRequest(index + 1_000_000, route); // never target seeds
  return { index, route, url, init: { method: route.method, headers, body }, describe };
}

/** After URL normalisation (`/api/x/../..`), is this still an API path (JSON errors)? */
function isApi(url: string): boolean {
  const p = new URL(url, "http://fuzz.invalid").pathname;
  return p === "/api" || p.startsWith("/api/");
}

/** The body, or what arrived before `stop` (then the stream is cancelled). */
async function readSome(res: Response, stop: Promise<unknown>): Promise<string> {
  if (!res.body) return "";
  const streaming = (res.headers.get("content-type") ?? "").includes("text/event-stream");
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  try {
    while (true) {
      const r = await Promise.race([reader.read(), stop.then(() => null)]);
      if (r === null || r.done) break;
      chunks.push(r.value);
      if (streaming) break;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(
    chunks.length === 1 ? chunks[0] : new Uint8Array(chunks.flatMap((c) => [...c])),
  );
}

/**
 * A deterministic pass first: every query key and every path parameter of every route
 * once with a value known to break naive code (prototype keys used as map lookups,
 * negative and huge numbers, very long strings).
 */
function dictionaryRequests(routes: RouteDef[]): FuzzRequest[] {
  const values = [
    "__proto__",
    "-1",
    "x".repeat(2000),
    "toString",
    "1e999",
    "",
    "((a+)+)+$",
    "5constructor",
  ];
  const out: FuzzRequest[] = [];
  let n = 0;
  for (const route of routes) {
    for (const key of [...QUERY_KEYS, ":path"]) {
      for (const v of ["constructor", values[n % values.length]]) {
        const path = route.path.replace(
          /:([A-Za-z0-9_]+)(\{[^}]*\})?/g,
          () => encodeURIComponent(key === ":path" ? v : "fz-dict"),
        ).replace(/\*$/, "fz-dict");
        const q = new URLSearchParams(key === ":path" ? {} : { [key]: v });
        // Routes that wait for an agent: keep the wait short unless the wait is the probe.
        if (path.endsWith("/ping") && key !== "wait_secs") q.set("wait_secs", "1");
        const url = q.size ? `${path}?${q}` : path;
        const body = route.method === "GET" ? undefined : "{}";
        out.push({
          index: -++n,
          route,
          url,
          init: { method: route.method, headers: { "content-type": "application/json" }, body },
          describe: `dict#${n} ${route.method} ${url.slice(0, 200)} body=${body ?? "none"}`,
        });
      }
    }
  }
  return out;
}

// ---- seeds and snapshots ------------------------------------------------------------

async function seed(be: TestBackend) {
  const te = new TextEncoder();
  const kv = (b: string) => be.deps.nats.kv(b);
  await (await kv(BUCKET.jobs)).put(
    `${KEEP}-job`,
    te.encode(JSON.stringify({ ...MANIFEST, id: `${KEEP}-job` })),
  );
  await (await kv(BUCKET.jobsYaml)).put(
    `${KEEP}-job`,
    te.encode(`id: ${KEEP}-job\n# comment kept\n`),
  );
  await (await kv(BUCKET.scriptStatus)).put(`${KEEP}-job`, te.encode("ACTIVE"));
  await (await kv(BUCKET.schedules)).put(
    `${KEEP}-sched`,
    te.encode(
      JSON.stringify({
        id: `${KEEP}-sched`,
        when: { per_pc: "once" },
        job_id: `${KEEP}-job`,
        target: { pcs: [`${KEEP}-pc`] },
        enabled: true,
      }),
    ),
  );
  await (await kv(BUCKET.agentGroups)).put(
    `${KEEP}-pc`,
    te.encode(JSON.stringify({ groups: [`${KEEP}-grp`] })),
  );
  await (await kv(BUCKET.agentConfig)).put(
    `pcs.${KEEP}-pc`,
    te.encode(JSON.stringify({ heartbeat_interval: "30s" })),
  );
  await (await kv(BUCKET.agentConfig)).put(
    `groups.${KEEP}-grp`,
    te.encode(JSON.stringify({ heartbeat_interval: "40s" })),
  );
  await (await kv(BUCKET.alertRules)).put(
    `${KEEP}-alert`,
    te.encode(JSON.stringify({
      name: `${KEEP}-alert`,
      enabled: true,
      description: "",
      events: ["check_fail"],
      checks: [],
      scope: { kind: "pcs", pcs: [`${KEEP}-pc`] },
      webhook: {
        url: "http://127.0.0.1:9/hook",
        secret: "seed-secret-0123456789",
        timeout_ms: 1000,
        max_attempts: 1,
      },
      rate_limit: { max: 3, per_secs: 3600 },
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    })),
  );
  const obj = await be.deps.nats.obj(OBJECT_STORE.agentReleases);
  await obj.putBlob({ name: `9.9.9-${KEEP}` }, te.encode("MZ fake release"));
  const svc = { sub: "fuzz-seed", roles: ["admin" as const], source: null };
  for (const role of ["admin", "viewer"]) {
    await createAccount(be.deps, svc, {
      username: `${KEEP}-${role}`,
      password: "seed-pass-1",
      role,
    });
  }
  const now = nowDb();
  await be.deps.db.batch([
    {
      sql:
        "INSERT INTO agents (pc_id, hostname, last_heartbeat, agent_version, os_family, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      args: [`${KEEP}-pc`, `${KEEP}-host`, now, "1.0.0", "windows", now],
    },
    {
      sql:
        "INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
      args: [`${KEEP}-exec`, `${KEEP}-job`, "1.0.0", "operator", now, 1, "running"],
    },
    {
      sql:
        "INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, exit_code, stdout, stderr, started_at, finished_at, recorded_at, job_id, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      args: [
        `${KEEP}-res`,
        `${KEEP}-req`,
        `${KEEP}-exec`,
        `${KEEP}-pc`,
        0,
        "out",
        "",
        now,
        now,
        now,
        `${KEEP}-job`,
        "1.0.0",
      ],
    },
    {
      sql:
        "INSERT INTO execution_results (result_id, request_id, exec_id, pc_id, started_at, recorded_at, job_id, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      args: [
        `${KEEP}-res2`,
        `${KEEP}-req2`,
        `${KEEP}-exec`,
        `${KEEP}-pc`,
        now,
        now,
        `${KEEP}-job`,
        "1.0.0",
      ],
    },
    {
      sql:
        "INSERT INTO audit_log (actor, action, target, payload, occurred_at, stream_seq) VALUES (?, ?, ?, ?, ?, ?)",
      args: ["operator", "job_upsert", `${KEEP}-job`, '{"version":"1.0.0"}', now, 999_999],
    },
    {
      sql:
        "INSERT INTO obs_events (pc_id, at, kind, source, event_record_id, payload) VALUES (?, ?, ?, ?, ?, ?)",
      args: [`${KEEP}-pc`, now, "logon", "security", "1", '{"user":"x"}'],
    },
    // A check row and its history: DELETE /api/checks/{name} with fuzzed names must not
    // reach them (the snapshot compares them after the run).
    {
      sql:
        "INSERT INTO check_status (pc_id, check_name, label, status, detail, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
      args: [`${KEEP}-pc`, `${KEEP}-chk`, "Seed check", "fail", "seeded", now],
    },
    {
      sql:
        "INSERT INTO check_transitions (pc_id, check_name, label, from_status, to_status, detail, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      args: [`${KEEP}-pc`, `${KEEP}-chk`, "Seed check", null, "fail", "seeded", now],
    },
  ], "write");
}

async function snapshot(be: TestBackend): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const b of KV_BUCKETS) {
    const kv = await be.deps.nats.kv(b.bucket).catch(() => null);
    if (!kv) continue;
    for await (const k of await kv.keys()) {
      if (!k.includes(KEEP)) continue;
      const e = await kv.get(k);
      out[`kv/${b.bucket}/${k}`] = `${e?.revision}:${e?.operation}:${
        e ? btoa(String.fromCharCode(...e.value)) : "-"
      }`;
    }
  }
  for (const a of (await readAccounts(be.deps.nats)).accounts) {
    if (a.username.includes(KEEP)) out[`account/${a.username}`] = JSON.stringify(a);
  }
  const obj = await be.deps.nats.obj(OBJECT_STORE.agentReleases);
  for (const info of await obj.list()) {
    if (info.name.includes(KEEP)) {
      out[`obj/${info.name}`] = `${info.digest}:${info.size}:${info.deleted}`;
    }
  }
  const tables = await be.deps.db.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );
  for (const t of tables.rows) {
    const name = String(t.name);
    const rs = await be.deps.db.execute(`SELECT * FROM "${name.replace(/"/g, '""')}"`);
    rs.rows.forEach((row) => {
      const json = JSON.stringify(row);
      if (json.includes(KEEP)) out[`db/${name}/${json.slice(0, 80)}`] = json;
    });
  }
  return out;
}

// ---- the test -----------------------------------------------------------------------

Deno.test({
  name: `fuzz: a dictionary pass and ${N} random/mutated requests to every route (seed ${SEED})`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const be = await startTestBackend({
      env: {
        KANADE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        // Password sign-in and MFA on, so those routes reach their deeper paths.
        KANADE_JWT_SECRET: "fuzz-secret-0123456789abcdef0123",
        KANADE_MFA_KEY: btoa(String.fromCharCode(...new Uint8Array(32).fill(7))),
      },
    });
    try {
      await seed(be);
      const before = await snapshot(be);
      assert.ok(Object.keys(before).length >= 14, `seeded ${Object.keys(before).length} items`);
      const routes = allRoutes.filter((r) => r.path !== "/health");
      assert.ok(routes.length > 0);
      const dictionary = dictionaryRequests(routes);
      const total = dictionary.length + N;
      const failures: string[] = [];
      const statuses: Record<string, number> = {};
      const slowWaits: string[] = [];
      let sent = 0;
      let next = 0;
      const started = Date.now();
      const worker = async () => {
        // The dictionary pass always completes; the random pass stops at the time budget.
        while (next < total && (next < dictionary.length || Date.now() - started < BUDGET_MS)) {
          const i = next++;
          const req = i < dictionary.length
            ? dictionary[i]
            : makeRequest(i, routes[i % routes.length]);
          sent++;
          if (DEBUG) console.error(`→ ${req.describe.slice(0, 400)}`);
          let timer: ReturnType<typeof setTimeout> | undefined;
          const hang = new Promise<"hang">((res) => timer = setTimeout(() => res("hang"), HANG_MS));
          try {
            const res = await Promise.race([be.request(req.url, req.init), hang]);
            if (res === "hang") {
              // Routes that opt out of the router timeout bound their own waits.
              if (req.route.timeoutMs === 0) slowWaits.push(req.describe);
              else failures.push(`hang > ${HANG_MS} ms: ${req.describe}`);
              continue;
            }
            // Streams (SSE) never end: read what arrives first, then hang up.
            const text = await readSome(res, hang);
            const key = `${req.route.method} ${req.route.path}`;
            statuses[`${Math.floor(res.status / 100)}xx`] =
              (statuses[`${Math.floor(res.status / 100)}xx`] ?? 0) + 1;
            if (res.status >= 500 && !DOCUMENTED_5XX[key]?.includes(res.status)) {
              failures.push(`${res.status} ${text.slice(0, 160)} ← ${req.describe}`);
            } else if (res.status >= 400 && isApi(req.url)) {
              try {
                const b = JSON.parse(text);
                if (typeof b.error !== "string" || b.status !== res.status) {
                  throw new Error("shape");
                }
              } catch {
                failures.push(
                  `non-JSON ${res.status} error body ${
                    JSON.stringify(text.slice(0, 80))
                  } ← ${req.describe}`,
                );
              }
            }
            if (/\bat .*\.ts:\d+|SQLITE_|\bSELECT\b.*\bFROM\b/i.test(text) && res.status >= 400) {
              failures.push(`internals leaked: ${text.slice(0, 160)} ← ${req.describe}`);
            }
          } catch (e) {
            failures.push(`threw ${(e as Error).message} ← ${req.describe}`);
          } finally {
            clearTimeout(timer);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const elapsed = Date.now() - started;
      // No request polluted a prototype of this process.
      assert.equal(
        ({} as Record<string, unknown>).polluted,
        undefined,
        "Object.prototype polluted",
      );
      assert.equal(({} as Record<string, unknown>).admin, undefined, "Object.prototype polluted");
      // Still alive and serving.
      assert.equal((await be.request("/health")).status, 200);
      assert.equal((await be.request("/api/version")).status, 200);
      const after = await snapshot(be);
      const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
      await recordFigures({
        suite: "fuzz",
        requests: sent,
        faultsInjected: sent,
        notes:
          `seed ${SEED}, ${routes.length} routes, ${elapsed} ms, statuses ${
            JSON.stringify(statuses)
          }, ` +
          `${failures.length} failures, ${slowWaits.length} self-bounded waits, seeded items changed: ${changed.length}`,
      });
      console.log(
        `fuzz: ${sent} requests over ${routes.length} routes in ${elapsed} ms; ${
          JSON.stringify(statuses)
        }`,
      );
      if (slowWaits.length) {
        console.log(
          `self-bounded waits (> ${HANG_MS} ms, allowed):\n${slowWaits.slice(0, 5).join("\n")}`,
        );
      }
      if (failures.length) {
        console.log(
          `fuzz failures (first 40 of ${failures.length}):\n${failures.slice(0, 40).join("\n")}`,
        );
      }
      assert.deepEqual(
        changed.map((k) => `${k}: ${before[k]} → ${after[k]}`),
        [],
        "seeded data changed",
      );
      assert.equal(failures.length, 0, `${failures.length} bad answers; first: ${failures[0]}`);
      assert.ok(sent >= Math.min(N, 500), `only ${sent} requests within the budget`);
    } finally {
      await be.stop();
    }
  },
});
