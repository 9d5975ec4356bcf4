/**
 * Layered config over the API with a real broker and the fleet simulator: full-replace PUT
 * semantics, validation, no-op writes, effective config with group conflicts, and that
 * changing the global heartbeat interval changes the agents' cadence.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startFleet } from "../simulator/fleet.ts";
import { BUCKET, subjects } from "../wire/names.ts";

async function rev(b: TestBackend, key: string): Promise<number | null> {
  const e = await (await b.deps.nats.kv(BUCKET.agentConfig)).get(key);
  return e && e.operation === "PUT" ? e.revision : null;
}

Deno.test("config scopes: replace semantics, validation, effective config", async (t) => {
  const b = await startTestBackend();
  try {
    await t.step("unset scopes read as {}", async () => {
      for (const p of ["/api/config", "/api/groups/g1/config", "/api/pcs/PC1/config"]) {
        assert.deepEqual(await b.call("GET", p), { status: 200, body: {} });
      }
    });

    await t.step("PUT is a full replace; the stored bytes are the protocol encoding", async () => {
      let r = await b.call("PUT", "/api/config", {
        heartbeat_interval: "10s",
        target_version: "1.0.0",
      });
      assert.deepEqual(r.body, { target_version: "1.0.0", heartbeat_interval: "10s" });
      r = await b.call("PUT", "/api/config", { heartbeat_interval: "20s" });
      assert.deepEqual(r.body, { heartbeat_interval: "20s" }, "target_version left out → removed");
      const e = await (await b.deps.nats.kv(BUCKET.agentConfig)).get("global");
      assert.equal(e?.string(), '{"heartbeat_interval":"20s"}');
      r = await b.call("PUT", "/api/config", { heartbeat_interval: null });
      assert.deepEqual(r.body, {});
    });

    await t.step("a PUT of what is stored does not bump the revision", async () => {
      await b.call("PUT", "/api/pcs/PC1/config", {
        heartbeat_interval: "5s",
        process_perf_enabled: true,
      });
      const before = await rev(b, "pcs.PC1");
      const r = await b.call("PUT", "/api/pcs/PC1/config", {
        process_perf_enabled: true,
        heartbeat_interval: "5s",
      });
      assert.equal(r.status, 200);
      assert.equal(await rev(b, "pcs.PC1"), before);
    });

    await t.step("validation: 400 with the field named", async () => {
      const cases: [string, unknown][] = [
        ["/api/config", { heartbeat_interval: "often" }],
        ["/api/config", { heartbeat_intervall: "5s" }],
        ["/api/groups/g1/config", { process_perf_expires_at: "tomorrow" }],
        ["/api/pcs/PC1/config", { process_perf_top_n: -1 }],
        ["/api/pcs/PC1/config", ["not", "an", "object"]],
        ["/api/groups/bad.name/config", {}],
        ["/api/pcs/bad*pc/config", {}],
      ];
      for (const [path, body] of cases) {
        const r = await b.call("PUT", path, body);
        assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      }
      const r = await b.call("PUT", "/api/config", { heartbeat_interval: "often" });
      assert.match(r.body.error, /heartbeat_interval/);
    });

    await t.step(
      "effective config: defaults → global → groups (byte order) → pc, with warnings",
      async () => {
        await b.call("PUT", "/api/config", { heartbeat_interval: "20s", target_version: "1.0.0" });
        await b.call("PUT", "/api/groups/alpha/config", {
          heartbeat_interval: "15s",
          host_perf_interval: "2m",
        });
        await b.call("PUT", "/api/groups/zeta/config", { heartbeat_interval: "25s" });
        await b.call("PUT", "/api/agents/PC1/groups", { groups: ["zeta", "alpha", "nocfg"] });
        await b.call("PUT", "/api/pcs/PC1/config", { target_version: "2.0.0" });
        const r = await b.call("GET", "/api/agents/PC1/effective_config");
        assert.equal(r.status, 200);
        assert.equal(r.body.pc_id, "PC1");
        assert.deepEqual(r.body.my_groups, ["alpha", "nocfg", "zeta"]);
        assert.deepEqual(r.body.effective, {
          target_version: "2.0.0",
          target_version_jitter: "10m",
          heartbeat_interval: "25s",
          host_perf_interval: "2m",
          process_perf_enabled: false,
          process_perf_expires_at: null,
          process_perf_top_n: 20,
        });
        assert.equal(r.body.warnings.length, 1);
        assert.match(r.body.warnings[0], /heartbeat_interval/);
        const other = await b.call("GET", "/api/agents/PC-OTHER/effective_config");
        assert.equal(other.body.effective.heartbeat_interval, "20s");
        assert.deepEqual(other.body.warnings, []);
      },
    );

    await t.step("an undecodable scope becomes a warning, not a 500", async () => {
      await (await b.deps.nats.kv(BUCKET.agentConfig)).put("groups.nocfg", "{broken");
      const r = await b.call("GET", "/api/agents/PC1/effective_config");
      assert.equal(r.status, 200);
      assert.ok(r.body.warnings.some((w: string) => w.includes("groups.nocfg")));
    });

    await t.step("a corrupt membership entry becomes a warning too", async () => {
      await (await b.deps.nats.kv(BUCKET.agentGroups)).put("PC-BAD", "[1,2]");
      const r = await b.call("GET", "/api/agents/PC-BAD/effective_config");
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.my_groups, []);
      assert.ok(r.body.warnings.some((w: string) => w.includes("membership")));
    });

    await t.step("DELETE removes a scope (204, idempotent) and is audited", async () => {
      assert.equal((await b.call("DELETE", "/api/groups/zeta/config")).status, 204);
      assert.equal((await b.call("DELETE", "/api/groups/zeta/config")).status, 204);
      assert.deepEqual((await b.call("GET", "/api/groups/zeta/config")).body, {});
      const m = await b.deps.nats.jsm.streams.getMessage("AUDIT", {
        last_by_subj: "audit.operator.config_delete.groups.zeta",
      });
      assert.ok(m);
      const r = await b.call("GET", "/api/agents/PC1/effective_config");
      assert.equal(r.body.effective.heartbeat_interval, "15s");
    });
  } finally {
    await b.stop();
  }
});

/** Heartbeats of `pc` seen during `ms`. */
async function countHeartbeats(b: TestBackend, pc: string, ms: number): Promise<number> {
  const sub = b.deps.nats.nc.subscribe(subjects.heartbeat(pc));
  let n = 0;
  const done = (async () => {
    for await (const _ of sub) n++;
  })();
  await new Promise((r) => setTimeout(r, ms));
  sub.unsubscribe();
  await done;
  return n;
}

Deno.test("config: the global heartbeat interval drives the agents' cadence", async () => {
  const b = await startTestBackend();
  await b.json("PUT", "/api/config", { heartbeat_interval: "1h" });
  const fleet = await startFleet({ natsUrl: b.broker.url, agents: ["HB1", "HB2"] });
  try {
    await waitFor(
      () =>
        fleet.agent("HB1").heartbeatIntervalMs === 3_600_000 &&
        fleet.agent("HB1").heartbeatsSent >= 1,
      { what: "1h cadence and the boot heartbeat" },
    );
    // Let the boot heartbeat clear the broker before listening.
    await new Promise((r) => setTimeout(r, 100));
    // The boot heartbeat is out; with a 1h interval nothing more arrives.
    assert.equal(await countHeartbeats(b, "HB1", 1200), 0);

    await b.json("PUT", "/api/config", { heartbeat_interval: "300ms" });
    await waitFor(() => fleet.agent("HB2").heartbeatIntervalMs === 300, {
      what: "agents to pick up 300ms",
    });
    const fast = await countHeartbeats(b, "HB2", 1500);
    assert.ok(fast >= 3, `expected >= 3 heartbeats in 1.5 s at 300ms, got ${fast}`);

    // A pc scope overrides the global one for that agent only.
    await b.json("PUT", "/api/pcs/HB1/config", { heartbeat_interval: "1h" });
    await waitFor(() => fleet.agent("HB1").heartbeatIntervalMs === 3_600_000, {
      what: "HB1 back to 1h",
    });
    assert.equal(fleet.agent("HB2").heartbeatIntervalMs, 300);
    const [slow, still] = await Promise.all([
      countHeartbeats(b, "HB1", 1000),
      countHeartbeats(b, "HB2", 1000),
    ]);
    assert.ok(slow <= 1, `HB1 should be quiet, got ${slow}`);
    assert.ok(still >= 2, `HB2 keeps beating, got ${still}`);
  } finally {
    await fleet.stop();
    await b.stop();
  }
});
