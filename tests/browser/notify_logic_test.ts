/** Pure logic of the Notifications and App packages pages, under Deno. */
import assert from "node:assert/strict";
import { notificationBody } from "../../static/assets/js/pages/notifications.js";
import { targetText } from "../../static/assets/js/pages/notification.js";
import { packagePartProblem } from "../../static/assets/js/pages/packages.js";
import { resolvedText } from "../../static/assets/js/target_picker.js";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const form = (x: Record<string, unknown>) => ({
  title: "t",
  body: "b",
  priority: "warn",
  requireAck: false,
  toast: false,
  expires: "",
  target: { all: true, groups: [], pcs: [] },
  ...x,
});

Deno.test("notificationBody(): the backend's rules before sending", () => {
  assert.deepEqual(notificationBody(form({ target: { all: false, groups: [], pcs: [] } }), NOW), {
    error: "Choose a target: all agents, at least one group or at least one PC.",
  });
  assert.deepEqual(notificationBody(form({ title: "  " }), NOW), {
    error: "title must not be empty",
  });
  assert.deepEqual(notificationBody(form({ expires: "2026-06-01T11:59:00Z" }), NOW), {
    error: "expires_at must be in the future",
  });
  const ok = notificationBody(
    form({ title: " Hi ", priority: "bogus", requireAck: true, expires: "2026-06-02T00:00:00Z" }),
    NOW,
  );
  assert.deepEqual(ok, {
    body: {
      priority: "info",
      require_ack: true,
      toast: false,
      title: "Hi",
      body: "b",
      target: { all: true, groups: [], pcs: [] },
      expires_at: "2026-06-02T00:00:00.000Z",
    },
  });
});

Deno.test("targetText() and resolvedText()", () => {
  assert.equal(targetText({ all: true, groups: [], pcs: [] }), "all agents");
  assert.equal(targetText({ all: false, groups: ["a"], pcs: ["PC1"] }), "group a, PC1");
  assert.equal(targetText(null), "—");
  const fleet = { online: new Set(["A", "B"]), onlineCount: 2, members: new Map([["g", ["A"]]]) };
  assert.equal(
    resolvedText({ all: false, groups: ["g"], pcs: [] }, fleet),
    "Resolves to 1 alive PC.",
  );
  assert.match(resolvedText({ all: true, groups: [], pcs: [] }, fleet), /2 alive PCs \(every/);
  assert.match(
    resolvedText({ all: false, groups: ["g"], pcs: [] }, { ...fleet, members: null }),
    /computed when you send/,
  );
});

Deno.test("packagePartProblem() mirrors the backend's name rules", () => {
  assert.equal(packagePartProblem("name", "office"), null);
  assert.equal(packagePartProblem("name", ""), "name must be non-empty");
  assert.equal(packagePartProblem("version", "1/2"), "version must not contain '/'");
  assert.equal(packagePartProblem("name", "é"), "name must be ASCII without control characters");
  assert.equal(packagePartProblem("name", "a\\b"), `name must not contain '"' or '\\'`);
  assert.equal(packagePartProblem("name", ".."), "name must not be '.' or '..'");
});
