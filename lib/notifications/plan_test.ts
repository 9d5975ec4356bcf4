import assert from "node:assert/strict";
import {
  assembleRoster,
  buildNotification,
  EMPTY_TITLE,
  NO_TARGET,
  notificationId,
  notificationStatus,
  notificationSubjects,
  PAST_EXPIRY,
  publishProblem,
  targetFromSubjects,
} from "./plan.ts";
import { PublishNotificationSchema } from "../../wire/notifications.ts";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const req = (x: Record<string, unknown>) =>
  PublishNotificationSchema.parse({ priority: "info", title: "t", body: "b", ...x });

Deno.test("publishProblem() applies upstream's rules in upstream's order", async (t) => {
  const cases: [string, Record<string, unknown>, string | RegExp | null][] = [
    ["empty target", { target: {} }, NO_TARGET],
    ["empty lists", { target: { groups: [], pcs: [] } }, NO_TARGET],
    ["target before title", { title: "", target: {} }, NO_TARGET],
    ["blank title", { title: " \t", target: { all: true } }, EMPTY_TITLE],
    [
      "expiry now is past",
      { target: { all: true }, expires_at: "2026-06-01T12:00:00Z" },
      PAST_EXPIRY,
    ],
    ["expiry ahead", { target: { all: true }, expires_at: "2026-06-01T12:00:01Z" }, null],
    ["group with a dot", { target: { groups: ["a.b"] } }, /target\.groups\[0\]/],
    ["pc with a wildcard", { target: { pcs: ["ok", "p*"] } }, /target\.pcs\[1\]/],
    ["id with a dot", { id: "maint.v1", target: { all: true } }, null],
    ["id with empty part", { id: "a..b", target: { all: true } }, /id 'a\.\.b'/],
    ["id with a slash", { id: "a/b", target: { all: true } }, /id 'a\/b'/],
    ["blank id mints", { id: "  ", target: { all: true } }, null],
  ];
  for (const [name, body, want] of cases) {
    await t.step(name, () => {
      const got = publishProblem(req(body), NOW);
      if (want === null) assert.equal(got, null);
      else if (typeof want === "string") assert.equal(got, want);
      else assert.match(got ?? "", want);
    });
  }
});

Deno.test("notificationId() keeps the operator's trimmed id, else mints", () => {
  assert.equal(notificationId({ id: " x " }, () => "minted"), "x");
  assert.equal(notificationId({ id: "" }, () => "minted"), "minted");
  assert.equal(notificationId({}, () => "minted"), "minted");
});

Deno.test("buildNotification() stamps issued_at and keeps optional fields", () => {
  const n = buildNotification(
    req({ target: { all: true }, expires_at: "2026-06-02T00:00:00.500+02:00", require_ack: true }),
    "id1",
    NOW,
  );
  assert.equal(n.issued_at, "2026-06-01T12:00:00Z");
  assert.equal(n.expires_at, "2026-06-01T22:00:00.500Z");
  assert.equal(n.require_ack, true);
  assert.equal(n.issued_by, null);
});

Deno.test("subjects of a target and the target read back from them", () => {
  const s = notificationSubjects({ all: true, groups: ["b", "a", "b"], pcs: ["PC1"] });
  assert.deepEqual(s, [
    "notifications.all",
    "notifications.group.b",
    "notifications.group.a",
    "notifications.pc.PC1",
  ]);
  assert.deepEqual(targetFromSubjects(s), { all: true, groups: ["a", "b"], pcs: ["PC1"] });
  assert.deepEqual(notificationSubjects({ all: false, groups: [], pcs: [] }), []);
});

Deno.test("assembleRoster() puts pending PCs first and keeps ackers outside the audience", () => {
  const r = assembleRoster(["PC2", "PC1", "PC3"], [
    { pc_id: "PC1", user_sid: "b", acked_at: "2026-06-01T12:00:05Z" },
    { pc_id: "PC1", user_sid: "a", acked_at: "2026-06-01T12:00:01Z" },
    { pc_id: "PC9", user_sid: "a", acked_at: "2026-06-01T12:00:02Z" },
  ]);
  assert.deepEqual(r, [
    { pc_id: "PC2", confirmed: false },
    { pc_id: "PC3", confirmed: false },
    { pc_id: "PC1", confirmed: true, acked_at: "2026-06-01T12:00:01Z" },
    { pc_id: "PC9", confirmed: true, acked_at: "2026-06-01T12:00:02Z" },
  ]);
  assert.deepEqual(assembleRoster([], []), []);
});

Deno.test("notificationStatus() at the expiry boundary", () => {
  const at = "2026-06-01T12:00:00Z";
  assert.equal(notificationStatus({ expires_at: at, withdraw_reason: null }, NOW - 1), "active");
  assert.equal(notificationStatus({ expires_at: at, withdraw_reason: null }, NOW), "expired");
  assert.equal(notificationStatus({ expires_at: null, withdraw_reason: null }, NOW), "active");
  assert.equal(
    notificationStatus({ expires_at: null, withdraw_reason: "recalled" }, NOW),
    "recalled",
  );
  assert.equal(notificationStatus({ expires_at: at, withdraw_reason: "expired" }, 0), "expired");
});
