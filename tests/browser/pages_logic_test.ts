/**
 * Pure client logic of the operator pages under Deno (no browser): chart scaling, ticks
 * and paths; the query/URL state of events and inventory search; config bodies and the
 * layer each effective value comes from; history summaries; run and rollout bodies; the
 * grouped menu.
 */
import assert from "node:assert/strict";
import {
  extent,
  layout,
  niceTicks,
  pathData,
  scaleLinear,
  timeLabel,
  timeTicks,
} from "../../static/assets/js/chart.js";
import { matchRoute, navFor, navTree, ROUTES } from "../../static/assets/js/routes.js";
import * as api from "../../static/assets/js/api.js";
import {
  changeText,
  decodeHistory,
  explodeSpecs,
  filtersFromQuery,
  fmtFact,
  searchQuery,
} from "../../static/assets/js/inventory_view.js";

Deno.test("chart: linear scale, extent, nice ticks", () => {
  const y = scaleLinear([0, 100], [200, 0]);
  assert.equal(y(0), 200);
  assert.equal(y(100), 0);
  assert.equal(y(25), 150);
  assert.equal(scaleLinear([5, 5], [0, 10])(5), 5, "a flat domain maps to the middle");
  assert.deepEqual(extent([{ a: 3, b: null }, { a: -1, b: 7 }, { a: NaN }], ["a", "b"]), [-1, 7]);
  assert.equal(extent([{ a: null }], ["a"]), null);
  assert.deepEqual(niceTicks(0, 100, 4), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0, 100, 2), [0, 50, 100]);
  assert.deepEqual(niceTicks(0, 87, 4), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0, 0), [0, 1]);
  const t = niceTicks(0.013, 0.049, 4);
  assert.ok(t[0] <= 0.013 && t[t.length - 1] >= 0.049, `covers the data: ${t}`);
  assert.deepEqual(t, [0.01, 0.02, 0.03, 0.04, 0.05]);
  const flat = niceTicks(42, 42, 4);
  assert.ok(flat[0] < 42 && flat[flat.length - 1] > 42, `a flat series gets room: ${flat}`);
  const bytes = niceTicks(0, 8 * 2 ** 30, 4);
  assert.ok(bytes.length <= 6 && bytes[bytes.length - 1] >= 8 * 2 ** 30);
});

Deno.test("chart: paths break at gaps; layout places points inside the plot", () => {
  assert.equal(
    pathData([{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: null }, { x: 3, y: 4 }, { x: 4, y: 5 }]),
    "M0.0,1.0L1.0,2.0M3.0,4.0L4.0,5.0",
  );
  assert.equal(pathData([{ x: 0, y: null }]), "");
  const from = Date.parse("2026-11-22T10:00:00Z");
  const g = layout({
    rows: [
      { at: "2026-11-22T10:30:00Z", cpu: 50 },
      { at: "2026-11-22T10:00:00Z", cpu: 0 },
      { at: "2026-11-22T11:00:00Z", cpu: 100 },
      { at: "not a time", cpu: 7 },
    ],
    keys: ["cpu"],
    fromMs: from,
    toMs: from + 3_600_000,
    width: 110,
    height: 110,
    pad: { l: 10, r: 0, t: 10, b: 0 },
    yMin: 0,
    yMax: 100,
  });
  // Sorted by time, the bad timestamp dropped; 0 → bottom, 100 → top.
  assert.deepEqual(g.series[0].points, [{ x: 10, y: 110 }, { x: 60, y: 60 }, { x: 110, y: 10 }]);
  assert.equal(g.series[0].d, "M10.0,110.0L60.0,60.0L110.0,10.0");
  assert.deepEqual(g.yTicks.map((t) => t.value), [0, 20, 40, 60, 80, 100]);
  assert.equal(g.xTicks.length, 5);
  assert.deepEqual(timeTicks(0, 400, 5), [0, 100, 200, 300, 400]);
  assert.deepEqual(timeTicks(5, 5), [5]);
  const noon = new Date(2026, 10, 22, 12, 5).getTime();
  assert.equal(timeLabel(noon, false), "12:05");
  assert.equal(timeLabel(noon, true), "11-22 12:05");
});

Deno.test("perf windows end now with a step that keeps the bucket count small", async () => {
  const { perfWindow, flattenTimeline, PERF_WINDOWS } = await import(
    "../../static/assets/js/perf_view.js"
  );
  const now = Date.parse("2026-11-22T12:00:00Z");
  const w = perfWindow("6h", now);
  assert.equal(w.query.to, "2026-11-22T12:00:00.000Z");
  assert.equal(w.query.from, "2026-11-22T06:00:00.000Z");
  assert.equal(w.query.step, "5m");
  assert.equal(perfWindow("bogus", now).key, "1h");
  for (const x of PERF_WINDOWS) {
    const stepMs = Number(/\d+/.exec(x.step)?.[0]) *
      { s: 1000, m: 60_000, h: 3_600_000 }[x.step.slice(-1) as "s" | "m" | "h"];
    const buckets = x.spanMs / stepMs;
    assert.ok(buckets >= 20 && buckets <= 100, `${x.key}: ${buckets} buckets`);
  }
  const { mergeSeries, withProcessSampling } = await import(
    "../../static/assets/js/perf_view.js"
  );
  assert.deepEqual(withProcessSampling({ heartbeat_interval: "20s" }, now), {
    heartbeat_interval: "20s",
    process_perf_enabled: true,
    process_perf_expires_at: "2026-11-22T12:00:00.000Z",
  });
  assert.deepEqual(
    withProcessSampling({ process_perf_enabled: true, process_perf_expires_at: "x" }, null),
    { process_perf_enabled: false },
  );
  assert.deepEqual(withProcessSampling(null, null), { process_perf_enabled: false });
  assert.deepEqual(
    mergeSeries({
      avg: [{ at: "2026-01-01T00:01:00Z", value: 2 }, { at: "2026-01-01T00:00:00Z", value: 1 }],
      max: [{ at: "2026-01-01T00:01:00Z", value: 9 }],
      none: undefined,
    }),
    [
      { at: "2026-01-01T00:00:00Z", avg: 1 },
      { at: "2026-01-01T00:01:00Z", avg: 2, max: 9 },
    ],
  );
  assert.deepEqual(
    flattenTimeline([{ at: "t1", values: { "a.exe": 1, other: 2 } }, { at: "t2" }]),
    [{ at: "t1", "a.exe": 1, other: 2 }, { at: "t2" }],
  );
});

Deno.test("menu: every page reachable, sections in order, new routes matched", () => {
  const tree = navTree();
  assert.deepEqual(tree.map((x) => x.label), ["Dashboard", "Fleet", "Operate", "Observe", "Admin"]);
  const links = tree.flatMap((x) =>
    x.kind === "link" ? [x.pattern] : x.links.map((l) => l.pattern)
  );
  assert.deepEqual(links.sort(), ROUTES.filter((r) => r.nav).map((r) => r.pattern).sort());
  const cases: [string, string, Record<string, string>][] = [
    ["/run", "run", {}],
    ["/events", "events", {}],
    ["/logs", "logs", {}],
    ["/config", "config", {}],
    ["/groups", "groups", {}],
    ["/rollout", "rollout", {}],
    ["/jetstream", "jetstream", {}],
    ["/accounts", "accounts", {}],
    ["/account", "account", {}],
    ["/change-password", "change_password", {}],
    ["/inventory", "inventory", {}],
    ["/inventory/search", "inventory_search", {}],
    ["/inventory/inv-sw", "inventory_job", { manifestId: "inv-sw" }],
    ["/inventory/inv-sw/PC%201", "inventory_pc", { manifestId: "inv-sw", pc: "PC 1" }],
    ["/api-docs", "api_docs", {}],
  ];
  for (const [p, page, params] of cases) {
    const m = matchRoute(p);
    assert.equal(m.page, page, p);
    assert.deepEqual(m.params, params, p);
  }
  assert.equal(navFor("/inventory/search"), "/inventory");
  assert.equal(navFor("/inventory/x/PC-1"), "/inventory");
});

Deno.test("api: repeated filter keys, scope paths, multipart upload", async () => {
  assert.equal(
    api.buildUrl("/x", { size__gt: ["1", "", "5"], name: "a b", none: [] }),
    "/x?size__gt=1&size__gt=5&name=a+b",
  );
  assert.equal(api.scopeConfigPath({ type: "global" }), "/api/config");
  assert.equal(api.scopeConfigPath({ type: "group", value: "a/b" }), "/api/groups/a%2Fb/config");
  assert.equal(api.scopeConfigPath({ type: "pc", value: "PC-1" }), "/api/pcs/PC-1/config");
  const orig = globalThis.fetch;
  const seen: Request[] = [];
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(new URL(String(input), "http://x"), init);
    seen.push(req);
    return Promise.resolve(
      new Response('{"version":"1.2.3","size":3,"digest":"d","platform":"linux"}', {
        status: 200,
      }),
    );
  };
  try {
    const r = await api.publishRelease(new Blob(["abc"]), {
      version: "1.2.3",
      platform: "linux",
      filename: "agent.bin",
    });
    assert.equal(r.version, "1.2.3");
    const req = seen[0];
    assert.equal(req.method, "POST");
    assert.equal(new URL(req.url).pathname, "/api/agents/publish");
    assert.match(req.headers.get("content-type") ?? "", /^multipart\/form-data; boundary=/);
    const form = await req.formData();
    assert.equal(form.get("version"), "1.2.3");
    assert.equal(form.get("platform"), "linux");
    const file = form.get("file") as File;
    assert.equal(file.name, "agent.bin");
    assert.equal(await file.text(), "abc");
  } finally {
    globalThis.fetch = orig;
  }
});

Deno.test("run page: request body and its refusals", async () => {
  const { runBody } = await import("../../static/assets/js/pages/run.js");
  const base = { pc: " PC-1 ", shell: "cmd", runAs: "user", timeout: "", script: "dir" };
  assert.deepEqual(runBody(base), {
    body: { pc_id: "PC-1", shell: "cmd", script: "dir", timeout_secs: 60, run_as: "user" },
  });
  const bad: [Partial<typeof base>, RegExp][] = [
    [{ pc: "" }, /Enter the PC/],
    [{ pc: "PC 1" }, /not a PC id/],
    [{ pc: "pcs.*" }, /not a PC id/],
    [{ script: "  \n" }, /script is empty/],
    [{ timeout: "0" }, /between 1 and 3600/],
    [{ timeout: "3601" }, /between 1 and 3600/],
    [{ timeout: "1.5" }, /whole number/],
  ];
  for (const [over, re] of bad) {
    const r = runBody({ ...base, ...over });
    assert.ok("error" in r && re.test(r.error), JSON.stringify(over));
  }
});

Deno.test("events page: URL state, API query, payload summary, day grouping", async () => {
  const { eventsState, eventsQuery, eventsUrl, payloadSummary, dayOf } = await import(
    "../../static/assets/js/pages/events.js"
  );
  const st = eventsState(new URLSearchParams("pc=PC-1&kinds=logon,,boot&limit=999"));
  assert.deepEqual(st, {
    pc: "PC-1",
    kinds: ["logon", "boot"],
    kinds_ex: [],
    sources: [],
    sources_ex: [],
    payload_key: "",
    payload_value: "",
    from: "",
    to: "",
    limit: "200",
  });
  assert.deepEqual(eventsQuery(st), {
    pc_id: "PC-1",
    kinds: "logon,boot",
    kinds_ex: "",
    sources: "",
    sources_ex: "",
    payload_key: "",
    payload_value: "",
    from: "",
    to: "",
    limit: 200,
  });
  assert.equal(
    api.buildUrl("/api/obs_events", eventsQuery(st) ?? {}),
    "/api/obs_events?pc_id=PC-1&kinds=logon%2Cboot&limit=200",
  );
  assert.equal(eventsQuery(eventsState(new URLSearchParams(""))), null, "no filter: recent");
  assert.equal(eventsUrl(st), "/events?pc=PC-1&kinds=logon%2Cboot");
  assert.equal(eventsUrl(eventsState(new URLSearchParams("limit=50"))), "/events?limit=50");
  assert.equal(
    payloadSummary({ user: "alice", nested: { a: 1 }, n: 3, ok: true, more: "x" }),
    "user=alice · n=3 · ok=true",
  );
  assert.equal(payloadSummary("text"), "text");
  assert.equal(payloadSummary(null), "");
  assert.match(payloadSummary({ long: "y".repeat(100) }), /^long=y{60}…$/);
  assert.equal(dayOf(new Date(2026, 10, 22, 23, 59).toISOString()), "2026-11-22");
  assert.equal(dayOf("nope"), "unknown day");
});

Deno.test("logs page: line filter and tail clamp", async () => {
  const { filterLines, tailCount } = await import("../../static/assets/js/pages/logs.js");
  const text = "INFO start\nWARN disk\nERROR boom\ninfo again\n";
  assert.deepEqual(filterLines(text, "info"), {
    text: "INFO start\ninfo again",
    shown: 2,
    total: 4,
  });
  assert.deepEqual(filterLines(text, " "), { text: text.trimEnd(), shown: 4, total: 4 });
  assert.deepEqual(filterLines("", "x"), { text: "", shown: 0, total: 0 });
  assert.equal(tailCount("200"), 200);
  assert.equal(tailCount("0"), 500);
  assert.equal(tailCount("abc"), 500);
  assert.equal(tailCount("250000"), 100_000);
});

Deno.test("config page: PUT body from the form, the deciding layer per field", async () => {
  const { scopeBody, layerSources, scopeFromQuery, FIELDS } = await import(
    "../../static/assets/js/config_layers.js"
  );
  const ok = scopeBody({
    target_version: " 1.2.3 ",
    heartbeat_interval: "30s",
    process_perf_enabled: "false",
    process_perf_top_n: "25",
    process_perf_expires_at: "2026-11-22T10:00:00Z",
    host_perf_interval: "",
  });
  assert.deepEqual(ok, {
    body: {
      target_version: "1.2.3",
      heartbeat_interval: "30s",
      process_perf_enabled: false,
      process_perf_expires_at: "2026-11-22T10:00:00.000Z",
      process_perf_top_n: 25,
    },
  });
  assert.deepEqual(scopeBody({}), { body: {} }, "all empty: inherit everything");
  const bad = scopeBody({ process_perf_top_n: "0" });
  assert.ok("error" in bad && bad.field === "process_perf_top_n");
  const badDate = scopeBody({ process_perf_expires_at: "someday" });
  assert.ok("error" in badDate && badDate.field === "process_perf_expires_at");
  const from = layerSources(
    { heartbeat_interval: "60s", host_perf_interval: "1s" },
    [
      { name: "lab", scope: { heartbeat_interval: "10s", target_version: "2" } },
      { name: "B", scope: { heartbeat_interval: "20s" } },
      { name: "gone", scope: null },
    ],
    { target_version: "3", process_perf_enabled: null },
  );
  // Byte order: "B" before "lab", so lab decides the heartbeat; the pc decides the version.
  assert.equal(from.heartbeat_interval, "group lab");
  assert.equal(from.host_perf_interval, "global");
  assert.equal(from.target_version, "pc");
  assert.equal(from.process_perf_enabled, "default", "null is not a value");
  assert.equal(Object.keys(from).length, FIELDS.length);
  assert.deepEqual(scopeFromQuery(new URLSearchParams("scope=pc&value=PC-1")), {
    type: "pc",
    value: "PC-1",
  });
  assert.deepEqual(scopeFromQuery(new URLSearchParams("scope=group&value=")), { type: "global" });
  assert.deepEqual(scopeFromQuery(new URLSearchParams("scope=nope&value=x")), { type: "global" });
});

Deno.test("config page: what a scope inherits per field, and from which layer", async () => {
  const { inheritedFields, layerLabel, FIELDS } = await import(
    "../../static/assets/js/config_layers.js"
  );
  assert.equal(layerLabel("default"), "built-in default");
  assert.equal(layerLabel("group lab"), "group lab");
  // A PC in groups lab and B: the backend resolved the layers below the PC's own scope.
  const inh = inheritedFields(
    {
      target_version: null,
      heartbeat_interval: "10s",
      host_perf_interval: "1s",
      process_perf_enabled: false,
      process_perf_top_n: 20,
    },
    {
      global: { heartbeat_interval: "60s", host_perf_interval: "1s" },
      groups: [
        { name: "lab", scope: { heartbeat_interval: "10s" } },
        { name: "B", scope: { heartbeat_interval: "20s" } },
      ],
    },
  );
  assert.deepEqual(inh.heartbeat_interval, { value: "10s", from: "group lab" });
  assert.deepEqual(inh.host_perf_interval, { value: "1s", from: "global" });
  assert.deepEqual(inh.process_perf_enabled, { value: "false", from: "built-in default" });
  assert.deepEqual(inh.target_version, { value: "—", from: "built-in default" });
  assert.deepEqual(Object.keys(inh), FIELDS.map((f) => f.key));
  // The global scope inherits the defaults only.
  const g = inheritedFields({ heartbeat_interval: "30s" }, { global: null, groups: [] });
  assert.deepEqual(g.heartbeat_interval, { value: "30s", from: "built-in default" });
});

Deno.test("rollout and groups pages: bodies, scope links, filtering", async () => {
  const { rolloutBody, configHref } = await import("../../static/assets/js/pages/rollout.js");
  assert.deepEqual(rolloutBody({ version: "1.0", type: "group", value: " canary ", jitter: "" }), {
    body: { version: "1.0", scope: { type: "group", value: "canary" } },
  });
  assert.deepEqual(rolloutBody({ version: "1.0", type: "global", value: "x", jitter: "5m" }), {
    body: { version: "1.0", scope: { type: "global" }, jitter: "5m" },
  });
  assert.ok("error" in rolloutBody({ version: "", type: "global", value: "", jitter: "" }));
  assert.ok("error" in rolloutBody({ version: "1", type: "pc", value: " ", jitter: "" }));
  assert.equal(configHref("global"), "/config");
  assert.equal(configHref("group:can ary"), "/config?scope=group&value=can%20ary");
  assert.equal(configHref("pc:PC-1"), "/config?scope=pc&value=PC-1");
  const { filterGroups } = await import("../../static/assets/js/pages/groups.js");
  const gs = [
    { name: "lab", members: ["PC-9"] },
    { name: "canary", members: ["PC-1", "PC-2"] },
  ];
  assert.deepEqual(filterGroups(gs, "").map((g) => g.name), ["canary", "lab"]);
  assert.deepEqual(filterGroups(gs, "pc-9").map((g) => g.name), ["lab"]);
  assert.deepEqual(filterGroups(gs, "CAN").map((g) => g.name), ["canary"]);
  const { jetstreamTotals } = await import("../../static/assets/js/pages/jetstream.js");
  assert.deepEqual(
    jetstreamTotals({
      streams: [{ name: "A", exists: true, bytes: 10, messages: 2 }],
      kv_buckets: [{ name: "KV_b", exists: false, bytes: 0, messages: 0 }],
    }),
    { total: 2, missing: ["KV_b"], bytes: 10, messages: 2 },
  );
});

Deno.test("inventory: explode specs, search filters both ways, history text", () => {
  const specs = explodeSpecs({
    explode: [
      {
        field: "apps",
        table: "t",
        primary_key: ["name"],
        columns: [{ field: "name" }, { field: "size", type: "integer" }, null],
        track_history: true,
      },
      { table: "no field" },
    ],
  });
  assert.deepEqual(specs, [{
    field: "apps",
    table: "t",
    primary_key: ["name"],
    columns: [{ field: "name", type: "text" }, { field: "size", type: "integer" }],
    track_history: true,
  }]);
  assert.deepEqual(explodeSpecs({ explode: null }), []);
  const filters = [
    { col: "name", op: "contains", value: "chrome" },
    { col: "size", op: "gt", value: "100" },
    { col: "size", op: "gt", value: "200" },
    { col: "pc_id", op: "eq", value: "PC-1" },
    { col: "name", op: "eq", value: " " },
  ];
  const q = searchQuery(filters);
  assert.deepEqual(q, { name__contains: "chrome", size__gt: ["100", "200"], pc_id: "PC-1" });
  const qs = new URLSearchParams(api.buildUrl("", { job: "j", limit: 5, ...q }).slice(1));
  assert.deepEqual(filtersFromQuery(qs), filters.slice(0, 4));
  assert.deepEqual(
    filtersFromQuery(new URLSearchParams("a__bogus=1&identity.name=x&mode=rows")),
    [{ col: "a__bogus", op: "eq", value: "1" }],
  );
  const changed = decodeHistory({
    change_kind: "changed",
    identity_json: '{"name":"Chrome"}',
    before_json: '{"name":"Chrome","version":"120"}',
    after_json: '{"name":"Chrome","version":"121"}',
  });
  assert.deepEqual(changed.identity, { name: "Chrome" });
  assert.equal(changeText(changed), "Chrome: version 120 → 121");
  assert.equal(
    changeText({
      change_kind: "added",
      identity_json: '{"name":"7-Zip"}',
      before_json: null,
      after_json: '{"name":"7-Zip","version":"23"}',
    }),
    "7-Zip: version=23",
  );
  assert.equal(
    changeText({
      change_kind: "changed",
      identity_json: null,
      before_json: '{"value":"Windows 10"}',
      after_json: '{"value":"Windows 11"}',
    }),
    "Windows 10 → Windows 11",
  );
  assert.equal(
    changeText({ change_kind: "removed", identity_json: "not json", before_json: null }),
    "",
  );
  assert.equal(fmtFact(8 * 2 ** 30, "bytes"), "8.0 GiB");
  assert.equal(fmtFact(null), "—");
  assert.equal(fmtFact({ a: 1 }), '{"a":1}');
});

Deno.test("inventory search page: URL state round trip, request per mode", async () => {
  const { searchState, searchUrl, searchRequest } = await import(
    "../../static/assets/js/pages/inventory_search.js"
  );
  const st = searchState(
    new URLSearchParams("job=inv&field=apps&name__prefix=Chr&size__le=5&offset=200"),
  );
  assert.equal(st.mode, "rows");
  assert.deepEqual(searchRequest(st), {
    kind: "rows",
    query: { name__prefix: "Chr", size__le: "5", limit: 200, offset: 200 },
  });
  assert.equal(
    searchUrl(st),
    "/inventory/search?job=inv&field=apps&name__prefix=Chr&size__le=5&offset=200",
  );
  const h = searchState(
    new URLSearchParams(
      "job=inv&field=apps&mode=changes&identity.name=Chrome&kind=changed&since=2026-01-01T00:00:00Z",
    ),
  );
  assert.deepEqual(searchRequest(h), {
    kind: "changes",
    query: {
      field: "apps",
      since: "2026-01-01T00:00:00Z",
      limit: 200,
      offset: 0,
      "identity.name": "Chrome",
      kind: "changed",
      until: "",
    },
  });
  assert.deepEqual(searchState(new URLSearchParams(searchUrl(h).split("?")[1])), h);
  const f = searchRequest({ ...h, mode: "first_seen" });
  assert.equal(f.kind, "first_seen");
  assert.equal("kind" in f.query, false, "first_seen has no kind filter");
  assert.equal(searchState(new URLSearchParams("mode=bogus")).mode, "rows");
});

Deno.test("API reference: grouping, filter and type labels over the generated document", async () => {
  const { inlineRefs, operationsByTag, opMatches, typeLabel } = await import(
    "../../static/assets/js/pages/api_docs.js"
  );
  const { openApiDocument } = await import("../../handlers/openapi.ts");
  const { allRoutes } = await import("../../handlers/routes.ts");
  const doc = openApiDocument(allRoutes, { title: "t", version: "0" });
  const groups = operationsByTag(doc);
  const all = groups.flatMap((g) => g.ops);
  assert.equal(all.length, allRoutes.length, "one entry per route");
  assert.ok(
    groups.find((g) => g.tag === "jobs")?.ops.some((o) =>
      o.method === "post" && o.path === "/api/jobs"
    ),
  );
  const hits = (q: string) =>
    all.filter((o) => opMatches(o, q)).map((o) => `${o.method} ${o.path}`);
  assert.deepEqual(hits("perf top"), ["get /api/perf/top"]);
  assert.deepEqual(hits("GET /api/jobs/{id}/yaml"), ["get /api/jobs/{id}/yaml"]);
  assert.equal(hits("  ").length, all.length);
  assert.deepEqual(hits("no such thing"), []);
  // The shared error body is drawn where it is used.
  const inlined = inlineRefs(doc);
  const err = inlined.paths["/api/jobs"].post.responses["400"].content["application/json"].schema;
  assert.deepEqual(Object.keys(err.properties), ["error", "status"]);
  const refs = [...JSON.stringify(inlined.paths).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(refs)], ["#/components/schemas/DisplayField"], "only recursion");
  assert.equal(typeLabel({ $ref: "#/components/schemas/DisplayField" }), "DisplayField");
  for (
    const [schema, label] of [
      [{}, "any"],
      [{ type: "string" }, "string"],
      [{ type: "integer", minimum: 1, maximum: 50 }, "integer 1..50"],
      [{ anyOf: [{ type: "string" }, { type: "null" }] }, "string | null"],
      [{ type: ["string", "null"] }, "string | null"],
      [{ type: "array", items: { type: "object", properties: {} } }, "array of object"],
      [{ enum: ["a", "b"] }, '"a" | "b"'],
      [{ const: "ok" }, '"ok"'],
      [{ type: "object", additionalProperties: { type: "number" } }, "map of number"],
      [{ type: "string", format: "date-time" }, "string (date-time)"],
    ] as const
  ) {
    assert.equal(typeLabel(schema), label, JSON.stringify(schema));
  }
});
