/**
 * End-user notifications against a real broker and a real libSQL file: upstream's 400
 * rules, the fan-out to the right subjects with JetStream acks, the history and ack
 * projections (idempotent, rebuilt on a wiped database), recall (copies gone, amend sent,
 * late agents never see it), expiry (late agents never see it), 502 and 409.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { replayInbox } from "../simulator/notification_inbox.ts";
import { startNatsServer } from "./helpers/nats_server.ts";
import { BUCKET, STREAM, SUBJECT, subjects as subj } from "../wire/names.ts";
import { jsonBytes, parseJsonBytes } from "../wire/codec.ts";
import { nowDb, wireTs } from "../wire/time.ts";
import { sweep } from "../projectors/cleanup.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";

const PROJECTORS = ["notifications", "notification_acks", "audit"];

async function seedAgent(b: TestBackend, pc: string, groups: string[] = []) {
  await b.deps.db.execute({
    sql:
      "INSERT INTO agents (pc_id, hostname, last_heartbeat, agent_version, updated_at) VALUES (?, ?, ?, ?, ?)",
    args: [pc, pc, nowDb(), "1.0.0", nowDb()],
  });
  if (groups.length) {
    await (await b.deps.nats.kv(BUCKET.agentGroups)).put(pc, JSON.stringify({ groups }));
  }
}

function ack(b: TestBackend, id: string, pc: string, sid: string, extra: object = {}) {
  return b.deps.nats.js.publish(
    subj.eventsNotificationsAcked(pc, sid, id),
    jsonBytes({
      notification_id: id,
      pc_id: pc,
      user_sid: sid,
      acked_at: wireTs(Date.now()),
      ...extra,
    }),
  );
}

async function post(b: TestBackend, body: unknown) {
  const res = await b.request("/api/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// deno-lint-ignore no-explicit-any -- response bodies are checked field by field below
type Detail = Record<string, any>;

const base = { priority: "warn", title: "Maintenance", body: "22:00 for 30 min" };

Deno.test({
  name: "notifications: rules, fan-out, history, acks, recall, expiry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const b = await startTestBackend({ projectors: PROJECTORS });
    try {
      await seedAgent(b, "PC1", ["tokyo"]);
      await seedAgent(b, "PC2", ["tokyo"]);
      await seedAgent(b, "PC3", ["osaka"]);

      await t.step("upstream's 400 rules", async () => {
        const cases: [unknown, RegExp][] = [
          [{ ...base, target: {} }, /target must set at least one of `all`, `groups`, or `pcs`/],
          [{ ...base, title: "  ", target: { all: true } }, /^title must not be empty$/],
          [
            { ...base, target: { all: true }, expires_at: "2020-01-01T00:00:00Z" },
            /^expires_at must be in the future$/,
          ],
          [{ ...base, target: { pcs: ["a b"] } }, /target\.pcs\[0\]/],
          [{ ...base, priority: "loud", target: { all: true } }, /priority/],
          [{ ...base, id: "a..b", target: { all: true } }, /id 'a\.\.b'/],
          [{ title: "x", target: { all: true } }, /invalid body/],
        ];
        for (const [body, re] of cases) {
          const r = await post(b, body);
          assert.equal(r.status, 400, JSON.stringify(body));
          assert.match(r.body.error, re);
          assert.equal(r.body.status, 400);
        }
      });

      let id = "";
      await t.step("fan-out: one copy per subject, acked by the stream, audited", async () => {
        const seen: { subject: string; body: Record<string, unknown> }[] = [];
        const sub = b.deps.nats.nc.subscribe(SUBJECT.notificationsFilter, {
          callback: (_e, m) => {
            seen.push({ subject: m.subject, body: parseJsonBytes(m.data) as never });
          },
        });
        await b.deps.nats.nc.flush();
        const r = await post(b, {
          ...base,
          require_ack: true,
          issued_by: "infra-team",
          target: { all: true, groups: ["tokyo"], pcs: ["PC3", "PC3"] },
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        id = r.body.id;
        assert.match(id, /^[0-9a-f-]{36}$/);
        assert.deepEqual(r.body.subjects, [
          "notifications.all",
          "notifications.group.tokyo",
          "notifications.pc.PC3",
        ]);
        await waitFor(() => seen.filter((s) => !s.subject.includes(".ledger.")).length === 3);
        sub.unsubscribe();
        const copies = seen.filter((s) => !s.subject.includes(".ledger."));
        assert.deepEqual(copies.map((s) => s.subject), r.body.subjects);
        for (const c of copies) {
          assert.deepEqual(Object.keys(c.body), [
            "id",
            "priority",
            "require_ack",
            "title",
            "body",
            "toast",
            "issued_at",
            "issued_by",
          ]);
          assert.equal(c.body.id, id);
          assert.equal(c.body.require_ack, true);
        }
        const info = await b.deps.nats.jsm.streams.info(STREAM.notifications, {
          subjects_filter: ">",
        });
        assert.equal(info.state.subjects?.["notifications.all"], 1);
        assert.equal(info.state.subjects?.[subj.notificationsLedgerSent(id)], 1);
        await waitFor(async () => {
          const rs = await b.deps.db.execute({
            sql: "SELECT payload FROM audit_log WHERE action = 'notification' AND target = ?",
            args: [id],
          });
          return rs.rows.length === 1;
        }, { what: "audit row" });
      });

      await t.step("history and detail: audience = alive PCs of the target", async () => {
        const list = await waitFor(async () => {
          const l = await b.json<Record<string, unknown>[]>("GET", "/api/notifications");
          return l.length === 1 ? l : null;
        });
        assert.equal(list[0].id, id);
        assert.equal(list[0].status, "active");
        assert.equal(list[0].acked_pcs, 0);
        const d = await b.json<Detail>("GET", `/api/notifications/${id}`);
        assert.equal(d.notification.title, "Maintenance");
        assert.deepEqual(d.target, { all: true, groups: ["tokyo"], pcs: ["PC3"] });
        assert.deepEqual(d.audience.map((a: { pc_id: string }) => a.pc_id), ["PC1", "PC2", "PC3"]);
        assert.deepEqual(d.progress, { acked: 0, audience: 3 });
        const missing = await b.request("/api/notifications/nope");
        assert.equal(missing.status, 404);
      });

      await t.step("acks projected once per (notification, PC, user)", async () => {
        await ack(b, id, "PC1", "S-1-5-21-1", { account: "CORP\\alice" });
        await ack(b, id, "PC1", "S-1-5-21-1"); // a redelivered ack: same row
        await ack(b, id, "PC1", "S-1-5-21-2");
        await ack(b, id, "PC9", "S-1-5-21-9"); // acked from a PC outside the audience
        const st = await waitFor(async () => {
          const s = await b.json<{ id: string; acks: unknown[] }>(
            "GET",
            `/api/notifications/${id}/ack_status`,
          );
          return s.acks.length === 3 ? s : null;
        });
        assert.equal(st.id, id);
        assert.deepEqual(
          (st.acks as { pc_id: string; user_sid: string; account?: string }[]).map((
            a,
          ) => [a.pc_id, a.user_sid, a.account ?? null]).sort(),
          [["PC1", "S-1-5-21-1", "CORP\\alice"], ["PC1", "S-1-5-21-2", null], [
            "PC9",
            "S-1-5-21-9",
            null,
          ]],
        );
        const d = await b.json<Detail>("GET", `/api/notifications/${id}`);
        assert.deepEqual(d.progress, { acked: 2, audience: 4 });
        assert.deepEqual(
          d.audience.map((a: { pc_id: string; confirmed: boolean }) => [a.pc_id, a.confirmed]),
          [["PC2", false], ["PC3", false], ["PC1", true], ["PC9", true]],
        );
        const empty = await b.json<{ acks: unknown[] }>("GET", "/api/notifications/x/ack_status");
        assert.deepEqual(empty.acks, []);
      });

      await t.step("a poison ack is set aside, later acks still land", async () => {
        await b.deps.nats.js.publish(subj.eventsNotificationsAcked("PC2", "S", id), "not json");
        await ack(b, id, "PC2", "S-1-5-21-3");
        await waitFor(async () => {
          const s = await b.json<{ acks: unknown[] }>("GET", `/api/notifications/${id}/ack_status`);
          return s.acks.length === 4;
        });
        const rej = await b.deps.db.execute(
          "SELECT subject FROM projection_rejects WHERE stream = 'EVENTS'",
        );
        assert.equal(rej.rows.length, 1);
      });

      await t.step("a late agent replays what is still valid", async () => {
        const inbox = await replayInbox(b.deps.nats, "PC3", ["osaka"]);
        assert.deepEqual(inbox.map((n) => n.id), [id]);
        const outsider = await replayInbox(b.deps.nats, "PC7", []);
        assert.deepEqual(outsider.map((n) => n.id), [id]); // via notifications.all
      });

      await t.step("an operator id is kept; sending it again is 409", async () => {
        const r = await post(b, { ...base, id: "maint-2026.05", target: { pcs: ["PC3"] } });
        assert.equal(r.status, 200);
        assert.equal(r.body.id, "maint-2026.05");
        const again = await post(b, { ...base, id: "maint-2026.05", target: { pcs: ["PC3"] } });
        assert.equal(again.status, 409);
      });

      await t.step("recall: copies deleted, agents told, history kept, audited", async () => {
        const amends: unknown[] = [];
        const sub = b.deps.nats.nc.subscribe(SUBJECT.notificationsAmend, {
          callback: (_e, m) => {
            amends.push(parseJsonBytes(m.data));
          },
        });
        await b.deps.nats.nc.flush();
        const res = await b.request(`/api/notifications/${id}/recall`, { method: "POST" });
        assert.equal(res.status, 204);
        await waitFor(() => amends.length === 1);
        sub.unsubscribe();
        assert.deepEqual(amends[0], { id, op: { kind: "recall" } });
        const inbox = await replayInbox(b.deps.nats, "PC3", ["osaka"]);
        assert.deepEqual(inbox.map((n) => n.id), ["maint-2026.05"]);
        const d = await waitFor(async () => {
          const x = await b.json<Detail>("GET", `/api/notifications/${id}`);
          return x.status === "recalled" ? x : null;
        });
        assert.equal(d.withdraw_reason, "recalled");
        assert.equal(d.acks.length, 4, "acks stay with the recalled notification");
        const again = await b.request(`/api/notifications/${id}/recall`, { method: "POST" });
        assert.equal(again.status, 409);
        const unknown = await b.request("/api/notifications/never-sent/recall", {
          method: "POST",
        });
        assert.equal(unknown.status, 404);
        await waitFor(async () => {
          const rs = await b.deps.db.execute({
            sql: "SELECT 1 FROM audit_log WHERE action = 'notification.recall' AND target = ?",
            args: [id],
          });
          return rs.rows.length === 1;
        }, { what: "recall audit row" });
      });

      await t.step("expiry: the sweep withdraws it, late agents never see it", async () => {
        const r = await post(b, {
          ...base,
          title: "short-lived",
          expires_at: new Date(Date.now() + 1500).toISOString(),
          target: { groups: ["osaka"] },
        });
        assert.equal(r.status, 200);
        const shortId = r.body.id;
        const before = await replayInbox(b.deps.nats, "PC3", ["osaka"]);
        assert.ok(before.some((n) => n.id === shortId));
        await waitFor(async () => {
          const rs = await b.deps.db.execute({
            sql: "SELECT 1 FROM notifications WHERE id = ?",
            args: [shortId],
          });
          return rs.rows.length === 1;
        });
        await new Promise((r) => setTimeout(r, 1600));
        const report = await sweep(b.deps);
        assert.equal(report.notificationsExpired, 1);
        // No agent-side expiry check here (nowMs far in the past): the copies are gone.
        const late = await replayInbox(b.deps.nats, "PC3", ["osaka"], 0);
        assert.ok(!late.some((n) => n.id === shortId), "withdrawn from the stream");
        const d = await waitFor(async () => {
          const x = await b.json<Detail>("GET", `/api/notifications/${shortId}`);
          return x.withdraw_reason === "expired" ? x : null;
        });
        assert.equal(d.status, "expired");
        assert.equal((await sweep(b.deps)).notificationsExpired, 0, "withdrawn once");
      });

      await t.step("502 when every publish fails", async () => {
        await b.deps.nats.jsm.streams.delete(STREAM.notifications);
        const r = await post(b, { ...base, target: { all: true, pcs: ["PC1"] } });
        assert.equal(r.status, 502);
        assert.match(r.body.error, /all notification publishes failed/);
        await setupJetStream(b.deps.nats);
      });
    } finally {
      await b.stop();
    }
  },
});

Deno.test({
  name: "notifications: a wiped database rebuilds history and acks from the streams",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startNatsServer();
    const first = await startTestBackend({ projectors: PROJECTORS, broker });
    let id = "";
    try {
      const r = await post(first, { ...base, target: { pcs: ["PC1"] } });
      id = r.body.id;
      await ack(first, id, "PC1", "S-1");
      const recalled = await post(first, { ...base, title: "oops", target: { all: true } });
      const rr = await first.request(`/api/notifications/${recalled.body.id}/recall`, {
        method: "POST",
      });
      assert.equal(rr.status, 204);
      await waitFor(async () => {
        const l = await first.json<{ status: string }[]>("GET", "/api/notifications");
        const a = await first.json<{ acks: unknown[] }>(
          "GET",
          `/api/notifications/${id}/ack_status`,
        );
        return l.length === 2 && l.some((x) => x.status === "recalled") && a.acks.length === 1;
      });
    } finally {
      await first.stop().catch(() => {});
    }
    // Same broker, fresh database: the durables acked messages their empty tables lost.
    const b2 = await startTestBackend({ projectors: PROJECTORS, broker });
    try {
      const rebuilt = await waitFor(async () => {
        const l = await b2.json<{ id: string; status: string }[]>("GET", "/api/notifications");
        return l.length === 2 ? l : null;
      }, { what: "history rebuilt" });
      assert.deepEqual(rebuilt.map((x) => x.status).sort(), ["active", "recalled"]);
      const a = await waitFor(async () => {
        const s = await b2.json<{ acks: unknown[] }>("GET", `/api/notifications/${id}/ack_status`);
        return s.acks.length === 1 ? s : null;
      }, { what: "acks rebuilt" });
      assert.equal((a.acks[0] as { pc_id: string }).pc_id, "PC1");
    } finally {
      await b2.stop();
      await broker.stop();
    }
  },
});
