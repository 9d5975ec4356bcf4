/**
 * Operator alerts end to end: rules through the API (validation, secrets never answered,
 * audit), check results published to a real broker and projected into check_transitions,
 * heartbeats projected into agents, the alert engine deciding, and a real local HTTP
 * receiver (Deno.serve on a free port) taking the webhooks: a transition fires once and
 * never on every result, scope filtering, HMAC, retries then success, retries exhausted,
 * a timeout, the per-PC rate limit on a flapping PC, offline/online, two engines at once,
 * and the delivery state the API shows.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startReceiver } from "./helpers/webhook_receiver.ts";
import { jobResult, publishAndSettle } from "./helpers/results.ts";
import { AlertEngine, type AlertEngineOptions } from "../lib/alerts/engine.ts";
import type { AlertRuleView } from "../lib/alerts/model.ts";
import type { RouteDef } from "../handlers/route.ts";
import { route as listRoute } from "../handlers/alerts/alerts_list.ts";
import { route as getRoute } from "../handlers/alerts/alert_get.ts";
import { route as deliveriesRoute } from "../handlers/alerts/alert_deliveries.ts";
import { mintJwt } from "../lib/auth.ts";
import { subscribeChanges } from "../lib/change_feed.ts";
import { registry } from "../lib/metrics.ts";
import { encodeHeartbeat } from "../wire/messages.ts";
import { subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { dbTs, nowWire, wireTs } from "../wire/time.ts";

const JWT = "alerts-test-jwt-secret-0123456789";
const SECRET = "alerts-hmac-secret-0123456789";

const JOBS = [
  { name: "bitlocker", id: "chk-bitlocker" },
  { name: "defender", id: "chk-defender" },
];

async function setup() {
  const b = await startTestBackend({
    projectors: ["results", "heartbeat", "audit"],
    waves: false,
    env: { KANADE_JWT_SECRET: JWT, KANADE_ALIVE_WINDOW_SECS: "2" },
  });
  for (const j of JOBS) {
    await b.json("POST", "/api/jobs", {
      id: j.id,
      version: "1.0.0",
      execute: { shell: "powershell", script: "Test-Thing", timeout: "60s" },
      check: { name: j.name },
    });
  }
  return b;
}

function engineOf(b: TestBackend, over: Partial<AlertEngineOptions> = {}) {
  return new AlertEngine(b.deps, {
    isLeader: () => true,
    holder: "test-engine",
    retryFirstPauseMs: 20,
    retryMaxPauseMs: 80,
    ...over,
  });
}

/** One decision pass, then every delivery it started finished. */
async function settle(e: AlertEngine) {
  await e.pass();
  await e.idle();
}

const check = (pc: string, name: string, status: string, detail?: string) =>
  jobResult(pc, JOBS.find((j) => j.name === name)!.id, {
    stdout: JSON.stringify({ status, detail }),
  });

function rule(name: string, url: string, over: Record<string, unknown> = {}) {
  return { name, events: ["check_fail"], webhook: { url }, ...over };
}

async function deliveries(b: TestBackend, name: string, q = "") {
  return (await b.json<{ deliveries: Record<string, unknown>[] }>(
    "GET",
    `/api/alerts/${name}/deliveries${q}`,
  )).deliveries;
}

async function asViewer(b: TestBackend, path: string) {
  const token = await mintJwt(JWT, { sub: "v", roles: ["viewer"], ttlSecs: 600 });
  return await b.request(path, { headers: { authorization: `Bearer ${token}` } });
}

/** `kanade_alert_deliveries_total{status}` of this process. */
async function alertCount(status: string): Promise<number> {
  const m = await registry.getSingleMetric("kanade_alert_deliveries_total")?.get();
  return m?.values.find((v) => v.labels.status === status)?.value ?? 0;
}

async function suppressedRows(b: TestBackend): Promise<number> {
  const rs = await b.deps.db.execute(
    "SELECT COUNT(*) AS n FROM alert_deliveries WHERE status = 'suppressed'",
  );
  return Number(rs.rows[0].n);
}

async function heartbeat(b: TestBackend, pc: string) {
  b.deps.nats.nc.publish(
    subjects.heartbeat(pc),
    jsonBytes(encodeHeartbeat({ pc_id: pc, at: nowWire(), agent_version: "1.0" })),
  );
  await b.deps.nats.nc.flush();
}

Deno.test("alerts: rules API, transitions, webhooks, retries, rate limit, presence", async (t) => {
  const b = await setup();
  const rx = startReceiver();
  const engine = engineOf(b);
  try {
    await t.step(
      "rules: create, read without the secret, viewers see the URL redacted",
      async () => {
        const res = await b.request("/api/alerts", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(rule("fails", rx.url("/ok"), {
            webhook: { url: rx.url("/ok"), secret: SECRET },
            checks: ["bitlocker"],
          })),
        });
        assert.equal(res.status, 201);
        const created = await res.json();
        assert.equal(created.webhook.has_secret, true);
        assert.ok(!JSON.stringify(created).includes(SECRET), "no secret in the answer");
        const list = await b.json<{ rules: { name: string; webhook: { url: string } }[] }>(
          "GET",
          "/api/alerts",
        );
        assert.deepEqual(list.rules.map((r) => r.name), ["fails"]);
        assert.equal(list.rules[0].webhook.url, rx.url("/ok"), "operators see the URL");
        const v = await (await asViewer(b, "/api/alerts/fails")).json();
        assert.match(v.webhook.url, /^http:\/\/127\.0\.0\.1:\d+\/…$/);
        assert.ok(!JSON.stringify(v).includes(SECRET));
        const dup = await b.request("/api/alerts", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(rule("fails", rx.url("/ok"))),
        });
        assert.equal(dup.status, 409);
      },
    );

    await t.step("rules: bad input is a 400 with a message; nothing is written", async () => {
      const bad: [unknown, RegExp][] = [
        [rule("x y", rx.url("/ok")), /name/],
        [rule("r", "ftp://x/"), /http/],
        [rule("r", rx.url("/ok"), { events: [] }), /events/],
        [rule("r", rx.url("/ok"), { events: ["check_recovered"] }), /events/],
        [rule("r", rx.url("/ok"), { scope: { kind: "groups", groups: [] } }), /groups/],
        [rule("r", rx.url("/ok"), { rate_limit: { max: 0, per_secs: 60 } }), /rate_limit/],
        [
          { ...rule("r", rx.url("/ok")), webhook: { url: rx.url("/ok"), secret: "short" } },
          /secret/,
        ],
        [{ ...rule("r", rx.url("/ok")), surprise: true }, /surprise|unrecognized/i],
      ];
      for (const [body, want] of bad) {
        const res = await b.request("/api/alerts", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        const j = await res.json();
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(j.error, want, JSON.stringify(j));
      }
      const notJson = await b.request("/api/alerts", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
      });
      assert.equal(notJson.status, 400);
      const mismatch = await b.request("/api/alerts/fails", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(rule("other", rx.url("/ok"))),
      });
      assert.equal(mismatch.status, 400);
      assert.equal((await b.request("/api/alerts/nope")).status, 404);
      assert.equal((await b.request("/api/alerts/nope", { method: "DELETE" })).status, 404);
      const list = await b.json<{ rules: unknown[] }>("GET", "/api/alerts");
      assert.equal(list.rules.length, 1);
    });

    await t.step(
      "a check entering fail fires once, not on every result; HMAC verifies",
      async () => {
        await settle(engine); // first pass: the cursor starts here, the presence baseline is set
        const notices: string[] = [];
        const unsubscribe = subscribeChanges(b.deps.nats, (e) => {
          if (e.kind === "alert") notices.push(e.data);
        });
        await publishAndSettle(b, check("PC1", "bitlocker", "fail", "C: off"));
        await settle(engine);
        // The change feed announced the new delivery and its attempt (the dashboard refreshes).
        await waitFor(() => notices.length >= 2, { what: "alert change notices" });
        unsubscribe();
        assert.deepEqual(JSON.parse(notices[0]), { kind: "alert", rules: ["fails"] });
        await publishAndSettle(
          b,
          check("PC1", "bitlocker", "fail", "still off"),
          check("PC1", "bitlocker", "fail", "still off"),
          check("PC1", "defender", "fail"), // another check: the rule lists bitlocker only
        );
        await settle(engine);
        const hits = rx.on("/ok");
        assert.equal(hits.length, 1, "one delivery for one transition");
        const h = hits[0];
        const body = JSON.parse(h.body);
        assert.equal(body.event, "check_fail");
        assert.equal(body.pc_id, "PC1");
        assert.equal(body.rule, "fails");
        assert.deepEqual(
          { name: body.check.name, status: body.check.status, detail: body.check.detail },
          { name: "bitlocker", status: "fail", detail: "C: off" },
        );
        assert.equal(h.headers.get("idempotency-key"), body.id);
        // occurred_at is the result's publish time (the transition's recorded_at), API form.
        const rec = await b.deps.db.execute(
          "SELECT recorded_at FROM check_transitions WHERE pc_id = 'PC1' AND to_status = 'fail'",
        );
        assert.equal(body.occurred_at, wireTs(String(rec.rows[0].recorded_at)));
        assert.equal(h.headers.get("x-kanade-event"), "check_fail");
        // Verify the signature the way a receiver would: WebCrypto verify over the raw body.
        const sig = h.headers.get("x-kanade-signature")!;
        assert.match(sig, /^sha256=[0-9a-f]{64}$/);
        const key = await crypto.subtle.importKey(
          "raw",
          new TextEncoder().encode(SECRET),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["verify"],
        );
        const mac = Uint8Array.from(sig.slice(7).match(/../g)!.map((x) => parseInt(x, 16)));
        assert.ok(
          await crypto.subtle.verify("HMAC", key, mac, new TextEncoder().encode(h.body)),
          "signature verifies",
        );
        const tampered = new TextEncoder().encode(h.body.replace("PC1", "PC9"));
        assert.equal(await crypto.subtle.verify("HMAC", key, mac, tampered), false);
        const d = await deliveries(b, "fails");
        assert.equal(d.length, 1);
        assert.equal(d[0].status, "delivered");
        assert.equal(d[0].attempts, 1);
        assert.equal(d[0].last_status, 200);
      },
    );

    await t.step(
      "back to ok fires check_ok for the rules that ask; entering fail again fires again",
      async () => {
        await b.json(
          "POST",
          "/api/alerts",
          rule("recoveries", rx.url("/rec"), {
            events: ["check_ok"],
            checks: ["bitlocker"],
            scope: { kind: "pcs", pcs: ["PC1"] },
          }),
        );
        await publishAndSettle(b, check("PC1", "bitlocker", "ok", "C: protected"));
        await settle(engine);
        assert.equal(rx.on("/ok").length, 1, "the fail rule does not hear of the recovery");
        const rec = rx.on("/rec").map((h) => JSON.parse(h.body));
        assert.equal(rec.length, 1);
        assert.equal(rec[0].event, "check_ok");
        assert.deepEqual(
          {
            status: rec[0].check.status,
            from: rec[0].check.from_status,
            detail: rec[0].check.detail,
          },
          { status: "ok", from: "fail", detail: "C: protected" },
        );
        await publishAndSettle(b, check("PC1", "bitlocker", "fail"));
        await settle(engine);
        assert.equal(rx.on("/ok").length, 2);
        assert.equal(rx.on("/rec").length, 1, "entering fail is no recovery");
        const ids = rx.on("/ok").map((h) => JSON.parse(h.body).id);
        assert.notEqual(ids[0], ids[1], "each transition has its own idempotency key");
        await b.json("DELETE", "/api/alerts/recoveries");
      },
    );

    await t.step("scope: listed PCs and group members only; no secret, no signature", async () => {
      await b.json("PUT", "/api/agents/PC3/groups", { groups: ["lab"] });
      await b.json(
        "POST",
        "/api/alerts",
        rule("pcs", rx.url("/ok"), {
          events: ["check_warn"],
          scope: { kind: "pcs", pcs: ["PC2"] },
        }),
      );
      await b.json(
        "POST",
        "/api/alerts",
        rule("lab", rx.url("/ok"), {
          events: ["check_warn"],
          scope: { kind: "groups", groups: ["lab"] },
        }),
      );
      await publishAndSettle(
        b,
        check("PC2", "defender", "warn"),
        check("PC3", "defender", "warn"),
        check("PC4", "defender", "warn"),
      );
      await settle(engine);
      const got = rx.on("/ok").map((h) => JSON.parse(h.body)).filter((x) =>
        x.event === "check_warn"
      )
        .map((x) => `${x.rule}:${x.pc_id}`).sort();
      assert.deepEqual(got, ["lab:PC3", "pcs:PC2"]);
      const unsigned = rx.on("/ok").find((h) => JSON.parse(h.body).rule === "pcs")!;
      assert.equal(unsigned.headers.get("x-kanade-signature"), null);
    });

    await t.step("retries with backoff, then success", async () => {
      await b.json(
        "POST",
        "/api/alerts",
        rule("flaky", rx.url("/flaky/2"), {
          events: ["check_unknown"],
          webhook: { url: rx.url("/flaky/2"), max_attempts: 4 },
        }),
      );
      await publishAndSettle(b, check("PC6", "defender", "whatever"));
      await settle(engine);
      assert.equal(rx.on("/flaky/2").length, 3);
      const [d] = await deliveries(b, "flaky");
      assert.deepEqual(
        [d.status, d.attempts, d.last_status, d.last_error],
        ["delivered", 3, 200, null],
      );
      const keys = new Set(rx.on("/flaky/2").map((h) => h.headers.get("idempotency-key")));
      assert.equal(keys.size, 1, "every attempt carries the same idempotency key");
      assert.deepEqual(
        rx.on("/flaky/2").map((h) => h.headers.get("x-kanade-attempt")),
        ["1", "2", "3"],
      );
    });

    await t.step(
      "retries exhausted → failed with the last error; a 404 is final; a timeout",
      async () => {
        const hooks: [string, Record<string, number>][] = [
          ["down", { max_attempts: 3 }],
          ["gone", { max_attempts: 5 }],
          ["slow", { max_attempts: 1, timeout_ms: 200 }],
        ];
        for (const [name, webhook] of hooks) {
          await b.json(
            "POST",
            "/api/alerts",
            rule(name, rx.url(`/${name}`), {
              checks: ["defender"],
              webhook: { url: rx.url(`/${name}`), ...webhook },
            }),
          );
        }
        await publishAndSettle(b, check("PC7", "defender", "fail"));
        await settle(engine);
        assert.equal(rx.on("/down").length, 3);
        const [down] = await deliveries(b, "down");
        assert.deepEqual(
          [down.status, down.attempts, down.last_status, down.last_error],
          ["failed", 3, 500, "HTTP 500: boom"],
        );
        assert.equal(rx.on("/gone").length, 1, "a 404 is not retried");
        const [gone] = await deliveries(b, "gone");
        assert.deepEqual([gone.status, gone.attempts, gone.last_status], ["failed", 1, 404]);
        const [slow] = await deliveries(b, "slow");
        assert.deepEqual(
          [slow.status, slow.attempts, slow.last_status, slow.last_error],
          ["failed", 1, null, "no answer within 200 ms"],
        );
        // The listing shows counts and the latest delivery with its error.
        const list = await b.json<{ rules: AlertRuleView[] }>("GET", "/api/alerts");
        const r = list.rules.find((x) => x.name === "down")!;
        assert.deepEqual(r.deliveries, { pending: 0, delivered: 0, failed: 1, suppressed: 0 });
        assert.equal(r.last_delivery?.last_error, "HTTP 500: boom");
        // Populated answers match the routes' declared response schemas (strict objects).
        const pairs: [string, RouteDef][] = [
          ["/api/alerts", listRoute],
          ["/api/alerts/down", getRoute],
          ["/api/alerts/down/deliveries", deliveriesRoute],
        ];
        for (const [path, r] of pairs) {
          const decl = r.responses?.[200];
          assert.ok(typeof decl === "object" && decl.json, path);
          decl.json.parse(await b.json("GET", path));
        }
        const failed = await deliveries(b, "down", "?status=failed");
        assert.equal(failed.length, 1);
        assert.equal((await deliveries(b, "down", "?status=delivered")).length, 0);
      },
    );

    await t.step("a flapping PC is rate-limited per rule", async () => {
      const before = { suppressed: await alertCount("suppressed"), rows: await suppressedRows(b) };
      await b.json(
        "POST",
        "/api/alerts",
        rule("flap", rx.url("/ok"), {
          events: ["check_fail"],
          scope: { kind: "pcs", pcs: ["PC5"] },
          rate_limit: { max: 2, per_secs: 3600 },
        }),
      );
      for (let i = 0; i < 4; i++) {
        await publishAndSettle(b, check("PC5", "defender", "fail"));
        await settle(engine);
        await publishAndSettle(b, check("PC5", "defender", "ok"));
        await settle(engine);
      }
      const d = await deliveries(b, "flap");
      assert.deepEqual(d.map((x) => x.status), [
        "suppressed",
        "suppressed",
        "delivered",
        "delivered",
      ]);
      assert.match(String(d[0].last_error), /rate limit: at most 2 per 3600 s/);
      const sent = rx.on("/ok").filter((h) => JSON.parse(h.body).rule === "flap");
      assert.equal(sent.length, 2);
      // /metrics counts what this process ended (the other rules matching PC5 count too).
      const rows = await suppressedRows(b) - before.rows;
      assert.ok(rows >= 2);
      assert.equal(await alertCount("suppressed") - before.suppressed, rows);
    });

    await t.step("an agent going offline and coming back fires each once", async () => {
      await b.json(
        "POST",
        "/api/alerts",
        rule("presence", rx.url("/ok"), {
          events: ["agent_offline", "agent_online"],
          scope: { kind: "pcs", pcs: ["PC9"] },
        }),
      );
      await heartbeat(b, "PC9");
      await waitFor(async () => {
        const rs = await b.deps.db.execute("SELECT 1 FROM agents WHERE pc_id = 'PC9'");
        return rs.rows.length === 1;
      }, { what: "PC9 heartbeat projected" });
      await settle(engine);
      const mine = () =>
        rx.on("/ok").map((h) => JSON.parse(h.body)).filter((x) => x.rule === "presence");
      assert.equal(mine().length, 0, "alive: nothing");
      // Silent past the 2 s alive window.
      await waitFor(async () => {
        await settle(engine);
        return mine().length === 1;
      }, { timeoutMs: 8000, intervalMs: 200, what: "offline alert" });
      await settle(engine);
      await settle(engine);
      assert.deepEqual(mine().map((x) => x.event), ["agent_offline"]);
      await heartbeat(b, "PC9");
      await waitFor(async () => {
        await settle(engine);
        return mine().length === 2;
      }, { timeoutMs: 8000, intervalMs: 100, what: "online alert" });
      await settle(engine);
      assert.deepEqual(mine().map((x) => x.event), ["agent_offline", "agent_online"]);
      assert.equal(mine()[0].pc_id, "PC9");
    });

    await t.step("a whole fleet silent at once is held (heartbeats not projected?)", async () => {
      await b.json(
        "POST",
        "/api/alerts",
        rule("silent", rx.url("/ok"), {
          events: ["agent_offline"],
          scope: { kind: "pcs", pcs: ["PC10", "PC11"] },
        }),
      );
      const sent = () =>
        rx.on("/ok").map((h) => JSON.parse(h.body)).filter((x) => x.rule === "silent");
      await heartbeat(b, "PC10");
      await heartbeat(b, "PC11");
      await waitFor(async () => {
        const rs = await b.deps.db.execute(
          "SELECT 1 FROM agents WHERE pc_id IN ('PC10', 'PC11')",
        );
        return rs.rows.length === 2;
      }, { what: "PC10 and PC11 projected" });
      await settle(engine);
      // PC9, PC10 and PC11 all silent past the window, PC10 and PC11 in the same pass.
      await new Promise((r) => setTimeout(r, 2500));
      await settle(engine);
      await settle(engine);
      assert.deepEqual(sent(), [], "held");
      // One PC beats again: the fleet is alive, PC11's silence is real.
      await heartbeat(b, "PC10");
      await waitFor(async () => {
        await settle(engine);
        return sent().length === 1;
      }, { timeoutMs: 8000, intervalMs: 100, what: "PC11 offline alert" });
      assert.equal(sent()[0].pc_id, "PC11");
    });

    await t.step(
      "two engines deciding at once (a lease overlap) deliver each event once",
      async () => {
        const other = engineOf(b, { holder: "other-engine" });
        await b.json(
          "POST",
          "/api/alerts",
          rule("twice", rx.url("/ok"), {
            scope: { kind: "pcs", pcs: ["PC8"] },
          }),
        );
        await publishAndSettle(b, check("PC8", "bitlocker", "fail"));
        await Promise.all([settle(engine), settle(other)]);
        await Promise.all([settle(engine), settle(other)]);
        const sent = rx.on("/ok").filter((h) => JSON.parse(h.body).rule === "twice");
        assert.equal(sent.length, 1);
      },
    );

    await t.step("disabled rules and old transitions fire nothing", async () => {
      const cur = await b.json<AlertRuleView>("GET", "/api/alerts/twice");
      await b.json("PUT", "/api/alerts/twice", {
        events: cur.events,
        scope: cur.scope,
        enabled: false,
        webhook: { url: cur.webhook.url },
      });
      await publishAndSettle(b, check("PC8", "bitlocker", "ok"), check("PC8", "bitlocker", "fail"));
      // A transition two hours old (a rebuilt database replaying history) is not news.
      await b.deps.db.execute({
        sql: `INSERT INTO check_transitions (pc_id, check_name, from_status, to_status, recorded_at)
              VALUES ('PC1', 'bitlocker', 'ok', 'fail', ?)`,
        args: [dbTs(Date.now() - 2 * 3600_000)],
      });
      const before = rx.hits.length;
      await settle(engine);
      // Only the enabled rule `fails` (every PC, bitlocker) fires for PC8's new fail.
      const fresh = rx.hits.slice(before).map((h) => JSON.parse(h.body));
      assert.deepEqual(fresh.map((x) => `${x.rule}:${x.pc_id}`), ["fails:PC8"]);
    });

    await t.step("PUT keeps the secret unless told; delete; audit has no secret", async () => {
      const cur = await b.json<AlertRuleView>("GET", "/api/alerts/fails");
      const kept = await b.json<AlertRuleView>("PUT", "/api/alerts/fails", {
        events: cur.events,
        webhook: { url: cur.webhook.url, timeout_ms: 3000 },
      });
      assert.equal(kept.webhook.has_secret, true);
      assert.equal(kept.webhook.timeout_ms, 3000);
      const cleared = await b.json<AlertRuleView>("PUT", "/api/alerts/fails", {
        events: cur.events,
        webhook: { url: cur.webhook.url, secret: null },
      });
      assert.equal(cleared.webhook.has_secret, false);
      assert.equal((await b.request("/api/alerts/fails", { method: "DELETE" })).status, 204);
      assert.equal((await b.request("/api/alerts/fails")).status, 404);
      // The delivery history stays readable.
      assert.ok((await deliveries(b, "fails")).length >= 2);
      const audit = await waitFor(async () => {
        const rs = await b.deps.db.execute(
          "SELECT action, payload FROM audit_log WHERE action LIKE 'alert_rule_%' ORDER BY id",
        );
        return rs.rows.some((r) => r.action === "alert_rule_delete") ? rs.rows : null;
      }, { what: "alert audit records" });
      const actions = audit.map((r) => r.action);
      assert.ok(actions.includes("alert_rule_create") && actions.includes("alert_rule_update"));
      for (const r of audit) {
        assert.ok(!String(r.payload).includes(SECRET), `no secret in ${r.action}`);
        assert.ok(!String(r.payload).includes("/ok"), `URL redacted in ${r.action}`);
      }
    });

    await t.step("deliveries query: bad status and limits are 400s", async () => {
      for (const q of ["?status=bogus", "?limit=0", "?limit=1001", "?before=-1", "?limit=x"]) {
        const res = await b.request(`/api/alerts/flaky/deliveries${q}`);
        assert.equal(res.status, 400, q);
      }
      assert.equal((await b.request("/api/alerts/bad%20name/deliveries")).status, 400);
      const one = await deliveries(b, "flap", "?limit=1");
      assert.equal(one.length, 1);
      const older = await deliveries(b, "flap", `?before=${one[0].id}`);
      assert.equal(older.length, 3);
      const viewer = await asViewer(b, "/api/alerts/flap/deliveries");
      assert.equal(viewer.status, 200);
      const write = await b.request("/api/alerts/flap", {
        method: "DELETE",
        headers: {
          authorization: `Bearer ${await mintJwt(JWT, {
            sub: "v",
            roles: ["viewer"],
            ttlSecs: 600,
          })}`,
        },
      });
      assert.equal(write.status, 403, "viewers cannot write rules");
    });
  } finally {
    await engine.stop();
    await rx.stop();
    await b.stop();
  }
});

Deno.test("alerts: the scheduler's leader runs the engine", async () => {
  const b = await startTestBackend({
    projectors: ["results"],
    scheduler: true,
    waves: false,
  });
  const rx = startReceiver();
  try {
    await b.json("POST", "/api/jobs", {
      id: "chk-bitlocker",
      version: "1.0.0",
      execute: { shell: "powershell", script: "Test-Thing", timeout: "60s" },
      check: { name: "bitlocker" },
    });
    // The first pass sets the cursor: wait for it before the transition.
    await waitFor(async () => {
      const rs = await b.deps.db.execute("SELECT 1 FROM alert_state WHERE key = 'check_cursor'");
      return rs.rows.length === 1;
    }, { timeoutMs: 20_000, what: "the engine's first pass" });
    await b.json("POST", "/api/alerts", rule("sched", rx.url("/ok")));
    await publishAndSettle(b, check("PC1", "bitlocker", "fail"));
    await waitFor(() => rx.on("/ok").length === 1, { timeoutMs: 20_000, what: "delivery" });
  } finally {
    await rx.stop();
    await b.stop();
  }
});
