/**
 * The last read routes the real SPA calls (issue 16): the Events page's sources and
 * filters on GET /api/obs_events with upstream's 400 rules (events projected from a real
 * OBS_EVENTS stream), and the config defaults and inherited views (real KV buckets).
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { encodeObsEvent } from "../wire/obs.ts";
import { subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";

Deno.test("obs events: sources, include/exclude lists, payload filter, logon_type, 400s", async (t) => {
  const b = await startTestBackend({ projectors: ["obs"], waves: false });
  try {
    const events: [string, string, string, string, Record<string, unknown> | null][] = [
      ["PC1", "logon", "winlog:Security", "2026-06-20T10:00:00Z", { user: "ann", logon_type: 2 }],
      ["PC1", "logon", "winlog:Security", "2026-06-20T10:01:00Z", { user: "bob", logon_type: 10 }],
      ["PC1", "logoff", "winlog:Security", "2026-06-20T10:02:00Z", { user: "ann", logon_type: 2 }],
      ["PC2", "boot", "winlog:System", "2026-06-20T10:03:00Z", { uptime: "2" }],
      ["PC2", "boot", "agent:internal", "2026-06-20T10:04:00Z", null],
      ["PC3", "app_crash", "winlog:Application", "2026-06-20T10:05:00Z", { app: "x.exe" }],
    ];
    let n = 0;
    for (const [pc, kind, source, at, payload] of events) {
      await b.deps.nats.js.publish(
        subjects.obs(pc),
        jsonBytes(
          encodeObsEvent({ pc_id: pc, at, kind, source, event_record_id: `${++n}`, payload }),
        ),
      );
    }
    await waitFor(async () => (await b.call("GET", "/api/obs_events")).body.events.length === 6, {
      what: "6 events",
    });
    const ids = async (q: string) => {
      const r = await b.call("GET", `/api/obs_events${q}`);
      assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
      return r.body.events.map((e: { event_record_id: string }) => Number(e.event_record_id));
    };

    await t.step("GET /api/obs_events/sources: distinct, ordered", async () => {
      assert.deepEqual((await b.call("GET", "/api/obs_events/sources")).body, {
        sources: ["agent:internal", "winlog:Application", "winlog:Security", "winlog:System"],
      });
    });

    await t.step("CSV include/exclude lists (trimmed, blanks dropped) and their AND", async () => {
      assert.deepEqual(await ids("?kinds=logon,%20boot%20,"), [5, 4, 2, 1]);
      assert.deepEqual(await ids("?kinds_ex=logon,logoff"), [6, 5, 4]);
      assert.deepEqual(await ids("?sources=winlog:Security,winlog:System&kinds_ex=logoff"), [
        4,
        2,
        1,
      ]);
      assert.deepEqual(await ids("?sources_ex=agent:internal&kinds=boot"), [4]);
      assert.deepEqual(await ids("?kinds=,,&sources=%20"), [6, 5, 4, 3, 2, 1], "empty list = none");
      assert.deepEqual(await ids("?kind=logon&kinds=boot"), [], "single value ANDs with the list");
      assert.deepEqual(await ids("?source=winlog:System&kind=boot"), [4]);
    });

    await t.step("payload_key + payload_value: text and number; only together", async () => {
      assert.deepEqual(await ids("?payload_key=user&payload_value=ann"), [3, 1]);
      assert.deepEqual(await ids("?payload_key=logon_type&payload_value=10"), [2]);
      assert.deepEqual(await ids("?payload_key=logon_type&payload_value=2.0"), [3, 1]);
      assert.deepEqual(await ids("?payload_key=uptime&payload_value=2"), [4], 'text "2" too');
      assert.deepEqual(await ids("?payload_key=user"), [6, 5, 4, 3, 2, 1], "key alone: ignored");
      assert.deepEqual(await ids("?payload_value=ann"), [6, 5, 4, 3, 2, 1], "value alone: ignored");
      assert.deepEqual(await ids("?payload_key=%20&payload_value=ann"), [6, 5, 4, 3, 2, 1]);
      assert.deepEqual(await ids("?logon_type=2"), [3, 1]);
      assert.deepEqual(await ids("?logon_type=2&kinds=logon&pc_id=PC1"), [1]);
    });

    await t.step("400: bad payload_key, logon_type, limit and time bounds", async () => {
      for (
        const [q, want] of [
          ["?payload_key=a.b&payload_value=1", /payload_key: must match \[A-Za-z0-9_\]\+/],
          ["?payload_key=$.x&payload_value=1", /payload_key/],
          ["?payload_key=a'b&payload_value=1", /payload_key/],
          ["?logon_type=two", /logon_type: must be an integer/],
          ["?logon_type=2.5", /logon_type/],
          ["?limit=0", /limit/],
          ["?limit=5001", /limit/],
          ["?from=yesterday", /from/],
          ["?from=2026-06-20T10:00:00Z&to=2026-06-20T09:00:00Z", /'from' must be before 'to'/],
        ] as const
      ) {
        const r = await b.call("GET", `/api/obs_events${q}`);
        assert.equal(r.status, 400, q);
        assert.match(r.body.error, want, q);
        assert.equal(r.body.status, 400);
      }
    });
  } finally {
    await b.stop();
  }
});

Deno.test("config: built-in defaults, what a group and a PC inherit", async (t) => {
  const b = await startTestBackend({ waves: false });
  try {
    await t.step("GET /api/config/defaults is the built-in effective config", async () => {
      assert.deepEqual(await b.call("GET", "/api/config/defaults"), {
        status: 200,
        body: {
          target_version: null,
          target_version_jitter: "10m",
          heartbeat_interval: "30s",
          host_perf_interval: "60s",
          process_perf_enabled: false,
          process_perf_expires_at: null,
          process_perf_top_n: 20,
        },
      });
    });

    await b.call("PUT", "/api/config", { heartbeat_interval: "45s", process_perf_top_n: 7 });
    await b.call("PUT", "/api/groups/alpha/config", { heartbeat_interval: "10s" });
    await b.call("PUT", "/api/groups/beta/config", {
      heartbeat_interval: "20s",
      host_perf_interval: "5m",
    });
    await b.call("PUT", "/api/agents/PC1/groups", { groups: ["beta", "alpha"] });
    await b.call("PUT", "/api/pcs/PC1/config", {
      heartbeat_interval: "1s",
      target_version: "9.9",
    });

    await t.step("a group inherits built-in → global only", async () => {
      const r = await b.call("GET", "/api/groups/beta/config/inherited");
      assert.equal(r.status, 200);
      assert.equal(r.body.heartbeat_interval, "45s", "its own scope is not applied");
      assert.equal(r.body.host_perf_interval, "60s");
      assert.equal(r.body.process_perf_top_n, 7);
    });

    await t.step("a PC inherits built-in → global → its groups, not its own scope", async () => {
      const r = await b.call("GET", "/api/pcs/PC1/config/inherited");
      assert.equal(r.status, 200);
      assert.equal(r.body.heartbeat_interval, "20s", "beta wins over alpha alphabetically");
      assert.equal(r.body.host_perf_interval, "5m");
      assert.equal(r.body.target_version, null, "the PC's own target is left out");
      assert.equal(r.body.process_perf_top_n, 7);
      const eff = await b.call("GET", "/api/agents/PC1/effective_config");
      assert.equal(eff.body.effective.heartbeat_interval, "1s", "effective still applies it");
      const lone = await b.call("GET", "/api/pcs/PC-NONE/config/inherited");
      assert.equal(lone.body.heartbeat_interval, "45s", "no groups: global");
    });

    await t.step("invalid ids answer 400", async () => {
      assert.equal((await b.call("GET", "/api/pcs/a.b/config/inherited")).status, 400);
      assert.equal((await b.call("GET", "/api/groups/a%20b/config/inherited")).status, 400);
    });
  } finally {
    await b.stop();
  }
});
