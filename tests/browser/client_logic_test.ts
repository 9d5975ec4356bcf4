/**
 * The dashboard's DOM-free modules under Deno (no browser needed): SSE parsing, the URL
 * builder and transport conventions of the API client, the route table, formatting and
 * the small pure decisions pages make.
 */
import assert from "node:assert/strict";
import { SseParser } from "../../static/assets/js/sse.js";
import * as api from "../../static/assets/js/api.js";
import { href, matchRoute, navFor } from "../../static/assets/js/routes.js";
import {
  agentOnline,
  fmtDuration,
  parseDurationMs,
  relTime,
  resultState,
  splitList,
} from "../../static/assets/js/dom.js";
import { topicOf } from "../../static/assets/js/live.js";
import { errorLine, pathLine } from "../../static/assets/js/editor.js";

Deno.test("sse: messages across arbitrary chunk boundaries", () => {
  const stream = 'retry: 500\n: keep-alive\n\nevent: result\nid: 7\ndata: {"a":1}\n\n' +
    "data: line1\r\ndata: line2\r\n\r\n" + "event: agent\ndata:x\n\n" + "data: tail-without-blank";
  const whole = new SseParser().push(stream);
  // Every split point yields the same messages.
  for (let i = 0; i <= stream.length; i++) {
    const p = new SseParser();
    const got = [...p.push(stream.slice(0, i)), ...p.push(stream.slice(i))];
    assert.deepEqual(got, whole, `split at ${i}`);
  }
  assert.deepEqual(whole, [
    { event: "result", data: '{"a":1}', id: "7" },
    { event: "message", data: "line1\nline2", id: "7" },
    { event: "agent", data: "x", id: "7" },
  ]);
  const p = new SseParser();
  p.push("retry: 1500\nid: a\0b\n\n");
  assert.equal(p.retryMs, 1500);
  assert.equal(p.lastId, null, "ids with NUL are ignored");
  // A lone CR is a line end too.
  assert.deepEqual(new SseParser().push("data: a\r\rdata: b\r"), [
    { event: "message", data: "a", id: null },
  ]);
});

Deno.test("api: URL building encodes segments and drops empty query values", () => {
  assert.equal(api.path`/api/agents/${"PC 1/x"}/groups`, "/api/agents/PC%201%2Fx/groups");
  assert.equal(
    api.buildUrl("/api/results", { limit: 50, pc_id: "", status: null, q: undefined, x: false }),
    "/api/results?limit=50",
  );
  assert.equal(api.buildUrl("/api/a", { q: "a&b=c" }), "/api/a?q=a%26b%3Dc");
  assert.equal(api.buildUrl("/api/a"), "/api/a");
  assert.equal(api.exactRegex("PC-1.lab(x)"), "^PC-1\\.lab\\(x\\)$");
  assert.ok(new RegExp(api.exactRegex("a.b")).test("a.b"));
  assert.ok(!new RegExp(api.exactRegex("a.b")).test("axb"));
});

Deno.test("api: error messages from JSON, text and HTML bodies", () => {
  const cases: [number, string, string, string][] = [
    [
      409,
      "Conflict",
      '{"error":"schedule nightly references it","status":409}',
      "schedule nightly references it",
    ],
    [400, "Bad Request", "invalid regex: missing )", "invalid regex: missing )"],
    [502, "Bad Gateway", "<html><body>proxy</body></html>", "502 Bad Gateway"],
    [500, "", "", "500 request failed"],
  ];
  for (const [s, st, body, want] of cases) assert.equal(api.errorMessage(s, st, body), want);
});

/** Runs `fn` with a fake fetch that records requests and answers from `reply`. */
async function withFetch(
  reply: (req: Request) => Response,
  fn: (seen: Request[]) => Promise<void>,
) {
  const orig = globalThis.fetch;
  const seen: Request[] = [];
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(new URL(String(input), "http://dash.test"), init);
    seen.push(req);
    return Promise.resolve(reply(req));
  };
  try {
    await fn(seen);
  } finally {
    globalThis.fetch = orig;
    localStorage.removeItem(api.TOKEN_KEY);
  }
}

Deno.test("api: headers, YAML saves, paging counts, 503 health body", async () => {
  api.setToken("  tok-123 ");
  await withFetch((req) => {
    const u = new URL(req.url);
    if (u.pathname === "/api/agents") {
      return new Response('[{"pc_id":"A"}]', {
        headers: { "x-total-count": "42", "x-online-count": "40", "x-offline-count": "2" },
      });
    }
    if (u.pathname === "/api/health/fleet") {
      return new Response('{"status":"degraded","agents":{"known":2,"active":0}}', { status: 503 });
    }
    if (u.pathname === "/api/jobs") return new Response('{"id":"j","version":"1"}');
    return new Response(null, { status: 204 });
  }, async (seen) => {
    const a = await api.agents({ q: "pc", limit: 25, offset: 0 });
    assert.deepEqual(a, { rows: [{ pc_id: "A" }], total: 42, online: 40, offline: 2 });
    assert.equal(seen[0].headers.get("authorization"), "Bearer tok-123");
    assert.equal(seen[0].headers.get("x-kanade-source"), "spa");
    assert.equal(new URL(seen[0].url).search, "?q=pc&limit=25&offset=0");

    const hl = await api.fleetHealth();
    assert.equal(hl.status, "degraded");
    assert.equal(hl.http_status, 503);

    await api.saveJobYaml("id: j\n");
    assert.equal(seen[2].method, "POST");
    assert.equal(seen[2].headers.get("content-type"), "application/yaml");
    assert.equal(await seen[2].text(), "id: j\n");

    await api.setAgentGroups("PC/1", ["b", "a"]);
    assert.equal(new URL(seen[3].url).pathname, "/api/agents/PC%2F1/groups");
    assert.equal(seen[3].method, "PUT");
    assert.equal(seen[3].headers.get("content-type"), "application/json");
    assert.deepEqual(await seen[3].json(), { groups: ["b", "a"] });

    assert.equal(await api.disableSchedule("s1", true), undefined, "204 → undefined");
    assert.equal(new URL(seen[4].url).search, "?cascade=true");
  });
});

Deno.test("api: a 401 clears the token and reports once; errors carry status + message", async () => {
  let reported = 0;
  api.onUnauthorized(() => reported++);
  api.setToken("expired");
  await withFetch((req) => {
    if (new URL(req.url).pathname === "/api/jobs/x") {
      return new Response('{"error":"schedule s references job x","status":409}', { status: 409 });
    }
    return new Response('{"error":"invalid static token","status":401}', { status: 401 });
  }, async () => {
    await assert.rejects(api.deleteJob("x"), (e: api.ApiError) => {
      assert.equal(e.status, 409);
      assert.equal(e.message, "schedule s references job x");
      return true;
    });
    assert.equal(api.getToken(), "expired", "a 409 keeps the token");
    await assert.rejects(api.jobs(), (e: api.ApiError) => e.status === 401);
    assert.equal(api.getToken(), null);
    assert.equal(reported, 1);
    // The login check reports 401 to its caller only.
    api.setToken("typo");
    await assert.rejects(api.checkToken(), (e: api.ApiError) => e.status === 401);
    assert.equal(reported, 1);
  });
  api.onUnauthorized(() => {});
});

Deno.test("api: the event stream is read with fetch + Authorization and parsed", async () => {
  api.setToken("t");
  await withFetch(() => {
    const body = new ReadableStream({
      start(c) {
        const enc = new TextEncoder();
        c.enqueue(enc.encode('event: result\nid: 1\ndata: {"result_id":"r1"}\n\nevent: ag'));
        c.enqueue(enc.encode("ent\ndata: {}\n\n"));
        c.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }, async (seen) => {
    const got: unknown[] = [];
    let opened = false;
    const last = await api.streamEvents((m) => got.push(m), { onOpen: () => (opened = true) });
    assert.ok(opened);
    assert.equal(last, "1");
    assert.deepEqual(got, [
      { event: "result", data: { result_id: "r1" }, id: "1" },
      { event: "agent", data: {}, id: "1" },
    ]);
    assert.equal(seen[0].headers.get("authorization"), "Bearer t");
    assert.equal(seen[0].headers.get("accept"), "text/event-stream");
  });
});

Deno.test("routes: literal before parameter, decoding, unknown paths", () => {
  const cases: [string, string, Record<string, string>][] = [
    ["/", "dashboard", {}],
    ["/jobs/new", "job_edit", {}],
    ["/jobs/inv%2Fhw", "job_edit", { id: "inv/hw" }],
    ["/agents/PC-001", "agent_detail", { pc: "PC-001" }],
    ["/agents/", "agents", {}],
    ["/activity/r-1", "result", { resultId: "r-1" }],
    ["/executions/e1", "execution", { execId: "e1" }],
    ["/schedules/new", "schedule_edit", {}],
    ["/results", "activity", {}],
    ["/login", "login", {}],
    ["/nope/deeper/still", "not_found", {}],
    ["/agents/%E0%A4%A", "not_found", {}],
  ];
  for (const [p, page, params] of cases) {
    const m = matchRoute(p);
    assert.equal(m.page, page, p);
    assert.deepEqual(m.params, params, p);
  }
  assert.equal(matchRoute("/login").public, true);
  assert.equal(matchRoute("/jobs").public, false);
  assert.equal(href("/agents/:pc", { pc: "a b" }), "/agents/a%20b");
  assert.equal(navFor("/agents/PC-1"), "/agents");
  assert.equal(navFor("/"), "/dashboard");
  assert.equal(navFor("/results"), "/activity");
});

Deno.test("formatting and small decisions", () => {
  const now = Date.parse("2026-01-01T00:10:00Z");
  assert.equal(relTime("2026-01-01T00:09:30Z", now), "30 s ago");
  assert.equal(relTime("2026-01-01T00:15:00Z", now), "in 5 min");
  assert.equal(relTime(null, now), "never");
  assert.equal(fmtDuration("2026-01-01T00:00:00Z", "2026-01-01T00:00:01.5Z"), "1.5 s");
  assert.equal(fmtDuration("2026-01-01T00:00:00Z", null), "—");
  const durations: [string, number | null][] = [
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h 30m", 5_400_000],
    ["2min", 120_000],
    ["250ms", 250],
    ["", null],
    ["ten minutes", null],
    ["5 parsecs", null],
    ["10m junk", null],
  ];
  for (const [s, want] of durations) assert.equal(parseDurationMs(s), want, s);
  assert.deepEqual(splitList(" a, b\nc ,a,, "), ["a", "b", "c"]);
  assert.equal(resultState({ finished_at: null, exit_code: null }), "running");
  assert.equal(resultState({ finished_at: "t", exit_code: 0 }), "success");
  assert.equal(resultState({ finished_at: "t", exit_code: 137 }), "failure");
  assert.equal(agentOnline({ last_heartbeat: "2026-01-01T00:09:00Z" }, now), true);
  assert.equal(agentOnline({ last_heartbeat: "2026-01-01T00:07:00Z" }, now), false);
  assert.equal(agentOnline({ online: true, last_heartbeat: null }, now), true);
  assert.deepEqual([...topicOf({ event: "result", data: {} }) ?? []], ["results"]);
  assert.deepEqual([...topicOf({ event: "message", data: { kind: "execution" } }) ?? []], [
    "executions",
  ]);
  assert.equal(topicOf({ event: "message", data: "ping" })?.size, 0);
  assert.equal(topicOf({ event: "ping", data: {} }), null);
  assert.equal(topicOf({ event: "ready", data: { kinds: [] } }), null);
  assert.deepEqual([...topicOf({ event: "obs", data: { kind: "obs" } }) ?? []], ["obs"]);
});

Deno.test("exec form: alive count a target resolves to", async () => {
  const { resolveCount } = await import("../../static/assets/js/pages/exec.js");
  const fleet = {
    online: new Set(["A", "B", "C"]),
    onlineCount: 3,
    members: new Map([["canary", ["A", "B", "Z"]], ["lab", ["C"]]]),
  };
  const t = (all: boolean, groups: string[], pcs: string[]) => ({ all, groups, pcs });
  assert.equal(resolveCount(t(true, [], []), fleet), 3);
  assert.equal(resolveCount(t(false, ["canary"], []), fleet), 2, "offline Z not counted");
  assert.equal(resolveCount(t(false, ["canary"], ["A", "C"]), fleet), 3, "union, no doubles");
  assert.equal(resolveCount(t(false, [], ["Z", "nope"]), fleet), 0);
  assert.equal(resolveCount(t(false, ["ghost"], []), fleet), 0);
  assert.equal(resolveCount(t(false, ["canary"], []), { ...fleet, members: null }), null);
});

Deno.test("execution view: failures first, then running, then successes", async () => {
  const { sortPerPc } = await import("../../static/assets/js/pages/execution.js");
  const rows = [
    { pc_id: "B", finished_at: "t", exit_code: 0 },
    { pc_id: "C", finished_at: null, exit_code: null },
    { pc_id: "A", finished_at: "t", exit_code: 0 },
    { pc_id: "D", finished_at: "t", exit_code: 2 },
    { pc_id: "E", finished_at: "t", exit_code: -1 },
  ];
  assert.deepEqual(sortPerPc(rows).map((r: { pc_id: string }) => r.pc_id), [
    "D",
    "E",
    "C",
    "A",
    "B",
  ]);
});

Deno.test("schedules: when/target summaries for both schedule shapes", async () => {
  const { whenText, targetText } = await import("../../static/assets/js/pages/schedules.js");
  assert.equal(
    whenText({ cron: "0 0 * * * *", mode: "once_per_pc" }),
    "cron 0 0 * * * * · once_per_pc",
  );
  assert.equal(whenText({ when: { per_pc: "once" } }), "per_pc: once");
  assert.equal(whenText({ when: { per_target: { every: "1h" } } }), "per_target every 1h");
  assert.equal(
    whenText({ when: { calendar: { at: "03:00", days: ["mon-fri"] } } }),
    "calendar 03:00 mon-fri",
  );
  assert.equal(whenText({ when: { on: ["startup", "logon"] } }), "on startup, logon");
  assert.equal(whenText({}), "—");
  assert.equal(targetText({ target: { all: true } }), "all");
  assert.equal(
    targetText({ target: { groups: ["a", "b"], pcs: ["x"] }, rollout: { waves: [{}, {}] } }),
    "groups a, b · 1 PC · 2 waves",
  );
  assert.equal(targetText({}), "—");
});

Deno.test("api: token hints (JWT claims read, never trusted; static tokens opaque)", () => {
  const b64 = (o: unknown) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o)))).replace(/\+/g, "-")
      .replace(/\//g, "_").replace(/=+$/, "");
  const jwt = (claims: unknown) => `${b64({ alg: "HS256" })}.${b64(claims)}.sig`;
  assert.deepEqual(api.tokenInfo(null), { kind: "none" });
  assert.deepEqual(api.tokenInfo("static-secret"), { kind: "static" });
  assert.deepEqual(api.tokenInfo("a.b.c"), { kind: "static" }, "undecodable: opaque");
  const viewer = api.tokenInfo(jwt({ sub: "ann", roles: ["viewer", 7], exp: 99, aud: "kanade" }));
  assert.deepEqual(viewer, { kind: "jwt", sub: "ann", roles: ["viewer"], exp: 99 });
  assert.equal(api.canOperate(viewer), false);
  assert.equal(api.canOperate(api.tokenInfo(jwt({ sub: "op", roles: ["operator"] }))), true);
  assert.equal(api.canOperate(api.tokenInfo(jwt({ sub: "bob", roles: ["admin"] }))), true);
  assert.equal(api.canOperate(api.tokenInfo("static-secret")), true);
  // Non-ASCII subjects survive the base64url decode.
  assert.equal(
    (api.tokenInfo(jwt({ sub: "kanadé-奏", roles: [] })) as { sub: string }).sub,
    "kanadé-奏",
  );
});

Deno.test("editor: the line an API error points at", () => {
  const y = [
    "# comment: execute: not this",
    "id: x",
    'version: "1"',
    "execute:",
    "  shell: powershell",
    "  script: |",
    "    timeout: inside a block scalar",
    "  timeout: 30s",
    "  not_a_field: true",
    "inventory:",
    "  display:",
    "    - field: a",
    "      label: A",
    "'quoted': 1",
  ].join("\n");
  const paths: [string, number | null][] = [
    ["id", 2],
    ["execute", 4],
    ["execute.timeout", 8],
    ["execute.not_a_field", 9],
    ["inventory.display", 11],
    ["inventory.display[0].label", 13],
    ["quoted", 14],
    ["execute.nope", null],
    ["shell", null],
    ["", null],
  ];
  for (const [p, want] of paths) assert.equal(pathLine(y, p), want, p);
  const messages: [string, number | null][] = [
    ["invalid YAML: bad indentation at line 4, column 3", 4],
    ["unknown field `execute.not_a_field`", 9],
    ["execute.timeout: invalid duration", 8],
    ["exactly one of script / script_file / script_object must be set", null],
  ];
  for (const [m, want] of messages) assert.equal(errorLine(m, y), want, m);
});

Deno.test("only api.js talks to the backend (no page builds an API URL or calls fetch)", async () => {
  const root = new URL("../../static/assets/js/", import.meta.url);
  const offenders: string[] = [];
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) await walk(u);
      else if (e.name.endsWith(".js") && !u.pathname.endsWith("/assets/js/api.js")) {
        const code = (await Deno.readTextFile(u))
          .replace(/\/\*[\s\S]*?\*\//g, "") // comments may mention endpoints
          .replace(/^\s*\/\/.*$/gm, "");
        if (/\bfetch\(|XMLHttpRequest|EventSource|["'`]\/api\//.test(code)) {
          // The router's "let /api/ links through" check is the one allowed mention.
          const lines = code.split("\n").filter((l) =>
            /\bfetch\(|XMLHttpRequest|EventSource|["'`]\/api\//.test(l) &&
            !l.includes('url.pathname.startsWith("/api/")')
          );
          if (lines.length) offenders.push(`${e.name}: ${lines.join(" | ").trim()}`);
        }
      }
    }
  };
  await walk(root);
  assert.deepEqual(offenders, []);
});
