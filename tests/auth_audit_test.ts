/**
 * The caller's `sub` and `X-Kanade-Source` reach audit payloads end to end (HTTP →
 * AUDIT stream → audit projector → audit_log), and hostile targets (empty tokens,
 * wildcards, huge values) can neither break the subject nor lose the event.
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { AUDIT_TOKEN_MAX, auditToken, enrichPayload, recordAudit } from "../lib/audit.ts";
import { isSubjectToken } from "../wire/names.ts";
import { mintJwt } from "../lib/auth.ts";
import { allRoutes } from "../handlers/routes.ts";

Deno.test("auditToken(): always a valid, bounded subject part", () => {
  const table: [string, string][] = [
    ["job_upsert", "job_upsert"],
    ["a.b", "a.b"],
    ["a..b", "a.b"],
    [".a.", "a"],
    ["...", "_"],
    ["", "_"],
    ["a b*c>d", "a_b_c_d"],
    ["x\u0000y\n", "x_y_"],
  ];
  for (const [input, want] of table) assert.equal(auditToken(input), want, JSON.stringify(input));
  const long = auditToken("z".repeat(10_000));
  assert.equal(long.length, AUDIT_TOKEN_MAX);
  assert.ok(auditToken(Array(50).fill("p").join(".")).split(".").length <= 8);
  for (const v of ["a..b", ".", "x".repeat(5000), "* > .", "é.日本"]) {
    for (const part of auditToken(v).split(".")) assert.ok(isSubjectToken(part), `${v} → ${part}`);
  }
});

Deno.test("enrichPayload(): adds sub/source, never overwrites", () => {
  const caller = { sub: "alice", roles: [], source: "spa" };
  assert.deepEqual(enrichPayload(null, caller), { sub: "alice", source: "spa" });
  assert.deepEqual(enrichPayload({ sub: "kept", n: 1 }, caller), {
    sub: "kept",
    n: 1,
    source: "spa",
  });
  assert.deepEqual(enrichPayload({ n: 1 }, null), { n: 1 });
});

Deno.test({
  name: "audit: caller identity in every payload; hostile targets still land",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const secret = "audit-secret";
    const be = await startTestBackend({
      projectors: ["audit"],
      env: { KANADE_JWT_SECRET: secret },
    });
    try {
      const caller = { sub: "alice", roles: [] as never[], source: "cli" };
      const targets = ["a..b", ".lead", "trail.", "x".repeat(5000), "w*l>d c", ""];
      for (const [i, target] of targets.entries()) {
        await recordAudit(be.deps.nats, { action: `hostile_${i}`, target, payload: { i } }, caller);
      }
      const rows = await waitFor(async () => {
        const rs = await be.deps.db.execute(
          "SELECT action, target, payload FROM audit_log WHERE action LIKE 'hostile_%' ORDER BY action",
        );
        return rs.rows.length === targets.length ? rs.rows : null;
      }, { what: "every hostile audit event projected" });
      for (const r of rows) {
        const p = JSON.parse(String(r.payload));
        assert.equal(p.sub, "alice");
        assert.equal(p.source, "cli");
        const i = p.i as number;
        assert.equal(r.target ?? "", targets[i], `target kept in full for ${r.action}`);
      }

      // Through HTTP: an auditing route called with a personal JWT and a source header.
      const del = allRoutes.find((r) =>
        r.method === "DELETE" && r.path === "/api/script-objects/:name/:version"
      );
      if (del) {
        const token = await mintJwt(secret, { sub: "bob", roles: ["operator"], ttlSecs: 300 });
        const res = await be.request("/api/script-objects/audit-probe/1.0.0", {
          method: "DELETE",
          headers: { authorization: `Bearer ${token}`, "x-kanade-source": "spa" },
        });
        assert.ok(res.status < 300, `${res.status} ${await res.text()}`);
        const row = await waitFor(async () => {
          const rs = await be.deps.db.execute({
            sql: "SELECT payload FROM audit_log WHERE target = ?",
            args: ["audit-probe/1.0.0"],
          });
          return rs.rows[0];
        }, { what: "the HTTP audit event" });
        const p = JSON.parse(String(row.payload));
        assert.equal(p.sub, "bob");
        assert.equal(p.source, "spa");
      }
    } finally {
      await be.stop();
    }
  },
});
