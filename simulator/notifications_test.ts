import assert from "node:assert/strict";
import {
  acksIt,
  configureNotify,
  notificationsBehaviour,
  notifySettings,
  notifyStats,
  onAmend,
  onNotification,
  shownBy,
  userSid,
} from "./notifications.ts";

const te = new TextEncoder();
const body = (id: string, extra: Record<string, unknown> = {}) =>
  te.encode(JSON.stringify({
    id,
    priority: "warn",
    require_ack: true,
    title: "t",
    body: "b",
    toast: false,
    issued_at: "2026-06-01T12:00:00Z",
    ...extra,
  }));

function agent(pcId: string, groups: string[] = []) {
  const sent: { subject: string; body: Record<string, unknown> }[] = [];
  return {
    pcId,
    groups,
    sent,
    publishJs(subject: string, b: () => string) {
      sent.push({ subject, body: JSON.parse(b()) });
    },
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("a shown notification is acknowledged once, through the agent's outbox", async () => {
  notifySettings.ackShare = 1;
  notifySettings.ackDelayMs = 0;
  const a = agent("PC-1", ["canary"]);
  onNotification(a, body("n1"));
  onNotification(a, body("n1")); // the same notification on its group subject
  onNotification(a, te.encode("not json"));
  assert.deepEqual(shownBy(a).map((n) => n.id), ["n1"]);
  await settle(10);
  assert.equal(a.sent.length, 1);
  const sid = userSid("PC-1");
  assert.equal(a.sent[0].subject, `events.notifications.acked.PC-1.${sid}.n1`);
  assert.equal(a.sent[0].body.notification_id, "n1");
  assert.equal(a.sent[0].body.pc_id, "PC-1");
  assert.equal(a.sent[0].body.user_sid, sid);
  assert.match(String(a.sent[0].body.acked_at), /^2\d{3}-/);
});

Deno.test("expired notifications are not shown; a recall stops a pending acknowledgement", async () => {
  notifySettings.ackShare = 1;
  notifySettings.ackDelayMs = 30;
  const a = agent("PC-2");
  const before = notifyStats.skippedExpired;
  onNotification(a, body("old", { expires_at: "2020-01-01T00:00:00Z" }));
  assert.equal(notifyStats.skippedExpired, before + 1);
  onNotification(a, body("n2"));
  onAmend(a, te.encode(JSON.stringify({ id: "n2", op: { kind: "recall" } })));
  onAmend(a, te.encode(JSON.stringify({ id: "n2", op: { kind: "edit" } })));
  await settle(60);
  assert.deepEqual(shownBy(a), []);
  assert.deepEqual(a.sent, [], "recalled before the user acknowledged it");
});

Deno.test("acksIt(): the configured share, stable per PC and notification", () => {
  const pcs = Array.from({ length: 2000 }, (_, i) => `PC-${i}`);
  const share = pcs.filter((pc) => acksIt(pc, "n", 0.25)).length / pcs.length;
  assert.ok(share > 0.2 && share < 0.3, `share ${share}`);
  assert.equal(acksIt("PC-7", "n", 0.25), acksIt("PC-7", "n", 0.25));
  assert.equal(pcs.some((pc) => acksIt(pc, "n", 0)), false);
  assert.equal(pcs.every((pc) => acksIt(pc, "n", 1)), true);
});

Deno.test("flags: values are checked; subscriptions follow the agent's groups", () => {
  configureNotify(new Map([["--notify-ack-share", "0.5"], ["--notify-ack-delay-ms", "1500"]]));
  assert.deepEqual(notifySettings, { ackShare: 0.5, ackDelayMs: 1500 });
  assert.throws(() => configureNotify(new Map([["--notify-ack-share", "2"]])), /0\.\.1/);
  assert.throws(() => configureNotify(new Map([["--notify-ack-delay-ms", "-1"]])), /non-negative/);
  const subs = notificationsBehaviour.subscriptions(agent("PC-9", ["lab", "canary"]));
  assert.deepEqual(subs.map((s) => s.subject), [
    "notifications.all",
    "notifications.pc.PC-9",
    "notifications.group.canary",
    "notifications.group.lab",
    "notif-amend",
  ]);
});

Deno.test("one object per body across agents; an expired one leaves the inbox", () => {
  notifySettings.ackShare = 0; // no acknowledgement timers in this test
  try {
    const a = agent("PC-5");
    const b = agent("PC-6");
    const before = Date.parse("2029-12-31T00:00:00Z");
    const soon = body("soon", { expires_at: "2030-01-01T00:00:00Z" });
    onNotification(a, soon, before);
    onNotification(b, soon, before);
    assert.equal(shownBy(a)[0], shownBy(b)[0], "the same body is parsed once");
    onNotification(a, body("later"), Date.parse("2030-01-02T00:00:00Z"));
    assert.deepEqual(shownBy(a).map((n) => n.id), ["later"]);
    assert.deepEqual(shownBy(b).map((n) => n.id), ["soon"], "pruned when the inbox changes");
  } finally {
    notifySettings.ackShare = 1;
  }
});
