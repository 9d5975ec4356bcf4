import assert from "node:assert/strict";
import {
  backoffSchedule,
  checkEvent,
  eventKey,
  holdOffline,
  inScope,
  isRetriableStatus,
  planPresence,
  type PresenceFacts,
  rateAllows,
  ruleMatches,
} from "./policy.ts";
import { AlertRuleCreateSchema, redactUrl, type StoredRule, webhookUrlError } from "./model.ts";
import { signBody } from "./deliver.ts";

Deno.test("checkEvent(): entering fail/warn/unknown fires, back to ok recovers, a first ok and no change do not", () => {
  const cases: [string | null, string, string | null][] = [
    [null, "fail", "check_fail"],
    [null, "warn", "check_warn"],
    [null, "unknown", "check_unknown"],
    [null, "ok", null],
    ["ok", "fail", "check_fail"],
    ["warn", "fail", "check_fail"],
    ["fail", "warn", "check_warn"],
    ["fail", "ok", "check_ok"],
    ["warn", "ok", "check_ok"],
    ["unknown", "ok", "check_ok"],
    ["fail", "fail", null],
    ["ok", "bogus", null],
  ];
  for (const [from, to, want] of cases) {
    assert.equal(checkEvent({ from_status: from, to_status: to }), want, `${from} → ${to}`);
  }
});

Deno.test("inScope(): all, listed pcs, members of any listed group", () => {
  const groups: Record<string, string[]> = { PC1: ["lab", "win11"], PC2: ["office"] };
  const of = (pc: string) => groups[pc] ?? [];
  assert.equal(inScope({ kind: "all" }, "PCX", of), true);
  assert.equal(inScope({ kind: "pcs", pcs: ["PC1", "PC3"] }, "PC1", of), true);
  assert.equal(inScope({ kind: "pcs", pcs: ["PC1", "PC3"] }, "PC2", of), false);
  assert.equal(inScope({ kind: "groups", groups: ["office", "x"] }, "PC2", of), true);
  assert.equal(inScope({ kind: "groups", groups: ["office"] }, "PC1", of), false);
  assert.equal(inScope({ kind: "groups", groups: ["office"] }, "PC9", of), false);
});

Deno.test("ruleMatches(): enabled, event listed, check filter only for check events, scope", () => {
  const rule: Pick<StoredRule, "enabled" | "events" | "checks" | "scope"> = {
    enabled: true,
    events: ["check_fail", "agent_offline"],
    checks: ["bitlocker"],
    scope: { kind: "pcs", pcs: ["PC1"] },
  };
  const none = () => [];
  assert.equal(ruleMatches(rule, "check_fail", "PC1", "bitlocker", none), true);
  assert.equal(ruleMatches(rule, "check_fail", "PC1", "defender", none), false, "other check");
  assert.equal(ruleMatches(rule, "check_warn", "PC1", "bitlocker", none), false, "event");
  assert.equal(ruleMatches(rule, "agent_offline", "PC1", null, none), true, "no check filter");
  assert.equal(ruleMatches(rule, "check_fail", "PC2", "bitlocker", none), false, "scope");
  assert.equal(
    ruleMatches({ ...rule, enabled: false }, "check_fail", "PC1", "bitlocker", none),
    false,
  );
  assert.equal(ruleMatches({ ...rule, checks: [] }, "check_fail", "PC1", "any", none), true);
});

Deno.test("rateAllows(): at most max per window", () => {
  const limit = { max: 2, per_secs: 60 };
  assert.deepEqual([0, 1, 2, 3].map((n) => rateAllows(n, limit)), [true, true, false, false]);
});

Deno.test("eventKey(): one key per transition, stable across processes", () => {
  const k = eventKey({ kind: "check", pcId: "PC1", checkName: "c", recordedAt: "T1" });
  assert.equal(k, eventKey({ kind: "check", pcId: "PC1", checkName: "c", recordedAt: "T1" }));
  assert.notEqual(k, eventKey({ kind: "check", pcId: "PC1", checkName: "c", recordedAt: "T2" }));
  const off = eventKey({ kind: "offline", pcId: "PC1", lastHeartbeat: "H" });
  const on = eventKey({ kind: "online", pcId: "PC1", lastHeartbeat: "H" });
  assert.notEqual(off, on, "the comeback after a silence is its own event");
  assert.equal(
    eventKey({ kind: "offline", pcId: "PC1", lastHeartbeat: null }),
    "offline:PC1:never",
  );
});

Deno.test("planPresence(): offline, back online, forgotten, and old silences recorded quietly", () => {
  const now = 1_000_000;
  const cutoff = now - 120_000;
  const quietBefore = cutoff - 3_600_000;
  const pc = (pcId: string, hbMs: number): PresenceFacts => ({ pcId, hb: `hb-${pcId}`, hbMs });
  const fleet = [
    pc("alive", now - 1000),
    pc("just-silent", cutoff - 1),
    pc("long-silent", quietBefore - 1),
    pc("back", now - 10),
    pc("still-off", cutoff - 50_000),
    pc("edge", cutoff), // exactly at the cutoff is alive
  ];
  const offline = new Map<string, string | null>([
    ["back", "old-hb"],
    ["still-off", "hb-still-off"],
    ["gone", "x"],
  ]);
  // What Presence.silentBefore gives (the engine's source), and a lookup of the whole fleet.
  const silent = fleet.filter((p) => p.hbMs < cutoff);
  const current = (id: string) => fleet.find((p) => p.pcId === id);
  const plan = planPresence(silent, current, offline, cutoff, quietBefore);
  assert.deepEqual(plan.offline, [
    { pcId: "just-silent", hb: "hb-just-silent", fire: true },
    { pcId: "long-silent", hb: "hb-long-silent", fire: false },
  ]);
  assert.deepEqual(plan.online, [{ pcId: "back", offlineHb: "old-hb" }]);
  assert.deepEqual(plan.forgotten, ["gone"]);
  // The first pass (no baseline): everything offline is recorded, nothing fires.
  const first = planPresence(silent, current, new Map(), cutoff, Infinity);
  assert.ok(first.offline.length === 3 && first.offline.every((o) => !o.fire));
});

Deno.test("holdOffline(): warm-up and a fleet gone silent at once hold offline decisions", () => {
  const h = (warmingUp: boolean, aliveCount: number, goingOffline: number) =>
    holdOffline({ warmingUp, aliveCount, goingOffline });
  assert.equal(h(true, 10, 1), "warm-up");
  assert.equal(h(false, 0, 2), "fleet silent");
  assert.equal(h(false, 0, 1), null, "the last PC of a fleet still fires");
  assert.equal(h(false, 3, 50), null, "some PCs alive: real silences");
  assert.equal(h(false, 0, 0), null);
});

Deno.test("isRetriableStatus(): 408/425/429/5xx again, other 4xx final", () => {
  for (const s of [408, 425, 429, 500, 502, 503, 504]) {
    assert.equal(isRetriableStatus(s), true, `${s}`);
  }
  for (const s of [400, 401, 403, 404, 410, 413, 422, 301]) {
    assert.equal(isRetriableStatus(s), false, `${s}`);
  }
});

Deno.test("backoffSchedule(): doubling pauses between attempts, capped", () => {
  assert.deepEqual(backoffSchedule(1, 1000, 30_000), []);
  assert.deepEqual(backoffSchedule(4, 1000, 30_000), [1000, 2000, 4000]);
  assert.deepEqual(backoffSchedule(7, 1000, 5000), [1000, 2000, 4000, 5000, 5000, 5000]);
});

Deno.test("webhookUrlError() and redactUrl(): http(s) only, no credentials; tokens hidden", () => {
  assert.equal(webhookUrlError("https://hooks.example/x"), null);
  assert.equal(webhookUrlError("http://127.0.0.1:9/"), null);
  assert.match(webhookUrlError("ftp://x/")!, /http/);
  assert.match(webhookUrlError("not a url")!, /absolute/);
  assert.match(webhookUrlError("https://u:p@x/")!, /credentials/);
  assert.match(webhookUrlError("https://x/#frag")!, /fragment/);
  assert.equal(
    redactUrl("https://hooks.example/services/T0/B0/xyz?t=1"),
    "https://hooks.example/…",
  );
  assert.equal(redactUrl("https://hooks.example"), "https://hooks.example");
  assert.equal(redactUrl("::"), "…");
});

Deno.test("AlertRuleCreateSchema: defaults and refusals", () => {
  const ok = AlertRuleCreateSchema.parse({
    name: "r1",
    events: ["check_fail"],
    webhook: { url: "https://x.example/hook" },
  });
  assert.deepEqual(ok.scope, { kind: "all" });
  assert.deepEqual(ok.rate_limit, { max: 3, per_secs: 3600 });
  assert.equal(ok.webhook.timeout_ms, 5000);
  assert.equal(ok.webhook.max_attempts, 4);
  assert.equal(ok.enabled, true);
  const bad = [
    { name: "a b", events: ["check_fail"], webhook: { url: "https://x/" } },
    { name: "r", events: [], webhook: { url: "https://x/" } },
    { name: "r", events: ["check_recovered"], webhook: { url: "https://x/" } },
    { name: "r", events: ["check_fail", "check_fail"], webhook: { url: "https://x/" } },
    { name: "r", events: ["check_fail"], webhook: { url: "file:///etc/passwd" } },
    { name: "r", events: ["check_fail"], webhook: { url: "https://x/", secret: "short" } },
    { name: "r", events: ["check_fail"], webhook: { url: "https://x/", timeout_ms: 10 } },
    { name: "r", events: ["check_fail"], webhook: { url: "https://x/", max_attempts: 11 } },
    { name: "r", events: ["check_fail"], webhook: { url: "https://x/" }, scope: { kind: "pcs" } },
    {
      name: "r",
      events: ["check_fail"],
      webhook: { url: "https://x/" },
      scope: { kind: "groups", groups: ["a.b"] },
    },
    { name: "r", events: ["check_fail"], webhook: { url: "https://x/" }, extra: 1 },
  ];
  for (const b of bad) {
    assert.equal(AlertRuleCreateSchema.safeParse(b).success, false, JSON.stringify(b));
  }
});

Deno.test("signBody(): HMAC-SHA256 hex (RFC 4231 test case 2)", async () => {
  assert.equal(
    await signBody("Jefe", "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});
