import assert from "node:assert/strict";
import {
  encodeNotification,
  LedgerRecordSchema,
  NotificationAckedSchema,
  NotificationSchema,
  recallAmend,
} from "./notifications.ts";

Deno.test("a Notification encodes in upstream's order and omits absent optionals", () => {
  const n = NotificationSchema.parse({
    id: "notif-9f3a",
    priority: "emergency",
    require_ack: true,
    title: "緊急",
    body: "22時から30分停止します",
    issued_at: "2026-05-20T12:00:00.000Z",
    issued_by: "infra-team",
  });
  assert.equal(
    JSON.stringify(encodeNotification(n)),
    '{"id":"notif-9f3a","priority":"emergency","require_ack":true,"title":"緊急","body":"22時から30分停止します","toast":false,"issued_at":"2026-05-20T12:00:00Z","issued_by":"infra-team"}',
  );
  const withExpiry = encodeNotification({
    ...n,
    issued_by: null,
    expires_at: "2026-05-21T00:00:00Z",
  });
  assert.deepEqual(Object.keys(withExpiry).slice(-2), ["issued_at", "expires_at"]);
});

Deno.test("an upstream body without toast or expiry decodes with defaults", () => {
  const n = NotificationSchema.parse({
    id: "n1",
    priority: "info",
    title: "t",
    body: "b",
    issued_at: "2026-05-20T12:00:00Z",
  });
  assert.equal(n.toast, false);
  assert.equal(n.require_ack, false);
  assert.equal(n.expires_at, undefined);
});

Deno.test("ack events need ids and an RFC 3339 acked_at; account is optional", () => {
  const ok = {
    notification_id: "n",
    pc_id: "PC1",
    user_sid: "S-1",
    acked_at: "2026-05-20T12:00:05Z",
  };
  assert.equal(NotificationAckedSchema.parse(ok).account, undefined);
  assert.throws(() => NotificationAckedSchema.parse({ ...ok, acked_at: "yesterday" }));
  assert.throws(() => NotificationAckedSchema.parse({ ...ok, pc_id: "" }));
});

Deno.test("ledger records are told apart by kind; the amend is upstream's shape", () => {
  const w = LedgerRecordSchema.parse({
    kind: "withdrawn",
    id: "n",
    reason: "recalled",
    withdrawn_at: "2026-05-20T12:00:05Z",
  });
  assert.equal(w.kind, "withdrawn");
  assert.throws(() => LedgerRecordSchema.parse({ kind: "withdrawn", id: "n", reason: "bored" }));
  assert.deepEqual(recallAmend("n"), { id: "n", op: { kind: "recall" } });
});
