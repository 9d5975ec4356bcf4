/// <reference lib="dom" />
/**
 * Pure client logic of the Alerts page under Deno (no browser): the URL state, the texts
 * of events, scope and delivery counts, the form values of a stored rule and the API body
 * a form becomes (the stored secret kept, replaced or removed), the enable/disable body,
 * and the route of the page.
 */
import assert from "node:assert/strict";
import {
  alertsState,
  alertsUrl,
  countsText,
  EVENTS,
  eventsText,
  formOf,
  ruleBody,
  scopeText,
  toggledBody,
} from "../../static/assets/js/alerts_view.js";
import { matchRoute, navFor, navTree } from "../../static/assets/js/routes.js";
import { topicOf } from "../../static/assets/js/live.js";
import { ALERT_EVENTS } from "../../lib/alerts/model.ts";
import { AlertRuleUpdateSchema } from "../../lib/alerts/model.ts";

const stored = {
  name: "bitlocker-lab",
  enabled: true,
  description: "lab PCs",
  events: ["check_fail", "agent_offline"],
  checks: ["bitlocker"],
  scope: { kind: "groups", groups: ["lab", "night"] },
  webhook: { url: "https://hooks.example/x", has_secret: true, timeout_ms: 3000, max_attempts: 2 },
  rate_limit: { max: 5, per_secs: 600 },
  created_at: "2026-12-04T10:00:00Z",
  updated_at: "2026-12-04T10:00:00Z",
  deliveries: { pending: 0, delivered: 4, failed: 1, suppressed: 0 },
  last_delivery: null,
};

Deno.test("alerts URL state: rule and status, unknown status dropped", () => {
  assert.deepEqual(alertsState(new URLSearchParams("rule=r1&status=failed")), {
    rule: "r1",
    status: "failed",
  });
  assert.deepEqual(alertsState(new URLSearchParams("status=bogus")), { rule: "", status: "" });
  assert.equal(alertsUrl({ rule: "" }), "/alerts");
  assert.equal(alertsUrl({ rule: "r 1", status: "failed" }), "/alerts?rule=r+1&status=failed");
  assert.equal(alertsUrl({ rule: "r1", status: "" }), "/alerts?rule=r1");
  assert.equal(matchRoute("/alerts").page, "alerts");
  assert.equal(navFor("/alerts"), "/alerts");
  const operate = navTree().find((x) => x.kind === "group" && x.id === "operate");
  assert.ok(operate?.kind === "group" && operate.links.some((l) => l.pattern === "/alerts"));
  // The engine's change notice refreshes the page.
  assert.deepEqual(
    topicOf({ event: "alert", data: { kind: "alert", rules: ["r1"] } }),
    new Set(["alerts"]),
  );
});

Deno.test("alerts texts: events, scope, counts", () => {
  assert.equal(eventsText(["check_fail", "agent_online"]), "check fail, agent online");
  assert.equal(scopeText({ kind: "all" }), "all PCs");
  assert.equal(scopeText({ kind: "groups", groups: ["a", "b"] }), "groups a, b");
  assert.equal(scopeText({ kind: "pcs", pcs: ["P1"] }), "PCs P1");
  assert.equal(scopeText({ kind: "pcs", pcs: ["1", "2", "3", "4"] }), "4 PCs");
  assert.equal(countsText(stored.deliveries), "1 failed · 4 delivered");
  assert.equal(countsText({ pending: 0, delivered: 0, failed: 0, suppressed: 0 }), "none yet");
});

Deno.test("ruleBody(): a new rule from the form, and what must be fixed first", () => {
  const f = { ...formOf(null), name: "r1", url: "https://x.example/h", secret: "" };
  const got = ruleBody(f, false);
  assert.ok("body" in got);
  assert.deepEqual(got.body, {
    name: "r1",
    description: "",
    enabled: true,
    events: ["check_fail"],
    checks: [],
    scope: { kind: "all" },
    webhook: { url: "https://x.example/h", timeout_ms: 5000, max_attempts: 4, secret: null },
    rate_limit: { max: 3, per_secs: 3600 },
  });
  const errors: [Partial<typeof f>, RegExp][] = [
    [{ name: "a b" }, /Name/],
    [{ events: [] }, /at least one event/],
    [{ scopeKind: "groups", scopeList: " , " }, /at least one group/],
    [{ scopeKind: "pcs", scopeList: "" }, /at least one PC/],
    [{ url: " " }, /URL/],
  ];
  for (const [over, want] of errors) {
    const r = ruleBody({ ...f, ...over }, false);
    assert.ok("error" in r && want.test(r.error), JSON.stringify(over));
  }
});

Deno.test("ruleBody() of an edit: the secret is kept, replaced or removed; the API accepts it", () => {
  const f = formOf(stored);
  assert.equal(f.scopeList, "lab, night");
  assert.equal(f.checks, "bitlocker");
  assert.equal(f.secret, "", "the stored secret is never in the form");
  const keep = ruleBody(f, true);
  assert.ok("body" in keep);
  assert.equal("secret" in (keep.body.webhook as object), false, "absent: kept");
  assert.deepEqual(keep.body.scope, { kind: "groups", groups: ["lab", "night"] });
  assert.equal(AlertRuleUpdateSchema.safeParse(keep.body).success, true);
  const cleared = ruleBody({ ...f, clearSecret: true }, true);
  assert.ok("body" in cleared && (cleared.body.webhook as { secret: unknown }).secret === null);
  const replaced = ruleBody({ ...f, secret: "a-new-secret-of-16+" }, true);
  assert.ok(
    "body" in replaced &&
      (replaced.body.webhook as { secret: unknown }).secret === "a-new-secret-of-16+",
  );
});

Deno.test("toggledBody(): the stored rule with enabled flipped, no has_secret, accepted by the API", () => {
  const b = toggledBody(stored, false);
  assert.equal(b.enabled, false);
  assert.deepEqual(b.webhook, {
    url: "https://hooks.example/x",
    timeout_ms: 3000,
    max_attempts: 2,
  });
  assert.equal(AlertRuleUpdateSchema.safeParse(b).success, true);
});

Deno.test("the rule form offers every event the API accepts, in its order", () => {
  assert.deepEqual(EVENTS.map((e) => e.value), [...ALERT_EVENTS]);
});
