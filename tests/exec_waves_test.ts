/**
 * Persisted rollout waves: a delayed wave survives a backend restart in the middle of
 * its delay and is published exactly once even with two API processes; max_failures stops
 * later waves; wavesOf reports every wave's state.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startNatsServer } from "./helpers/nats_server.ts";
import { type AgentSet, startAgentDoubles, withAgentDoubles } from "./helpers/agent_double.ts";
import { pruneWaveRecords, wavesOf } from "../lib/exec/waves.ts";
import { BUCKET } from "../wire/names.ts";
import { encodeAgentGroups } from "../wire/agent_groups.ts";
import { dbTs } from "../wire/time.ts";
import { firstRow } from "../db/client.ts";

const JOB = {
  id: "roll",
  version: "2.0.0",
  execute: { shell: "powershell", script: "Write-Output hi", timeout: "60s" },
};

async function seed(be: TestBackend, groups: Record<string, string[]>) {
  const kv = await be.deps.nats.kv(BUCKET.agentGroups);
  const now = dbTs(Date.now());
  for (const [pc, gs] of Object.entries(groups)) {
    await be.deps.db.execute({
      sql: "INSERT OR REPLACE INTO agents (pc_id, last_heartbeat, updated_at) VALUES (?, ?, ?)",
      args: [pc, now, now],
    });
    await kv.put(pc, encodeAgentGroups(gs));
  }
}

Deno.test("a delayed wave is published exactly once after a restart, with two API processes", async () => {
  const broker = await startNatsServer();
  const dir = await Deno.makeTempDir({ prefix: "kanade-waves-" });
  const dbUrl = `file:${dir}/kanade.db`;
  let agents: AgentSet | null = null;
  const backends: TestBackend[] = [];
  try {
    const be1 = await startTestBackend({ broker, dbUrl });
    backends.push(be1);
    await seed(be1, { "PC-CAN": ["canary"], "PC-W1": ["wave1"] });
    agents = await startAgentDoubles(broker.url, {
      "PC-CAN": { groups: ["canary"] },
      "PC-W1": { groups: ["wave1"] },
    });
    const a = agents.agents;
    await be1.json("POST", "/api/jobs", JOB);
    const t0 = Date.now();
    const r = await be1.json<{ exec_id: string; subjects: string[]; target_count: number }>(
      "POST",
      "/api/exec/roll",
      {
        rollout: {
          waves: [{ group: "canary", delay: "0s" }, { group: "wave1", delay: "3s" }],
        },
      },
    );
    assert.deepEqual(r.subjects, ["commands.group.canary", "commands.group.wave1"]);
    assert.equal(r.target_count, 2);
    await waitFor(() => a["PC-CAN"].received.length === 1, { what: "canary wave" });
    assert.equal(a["PC-W1"].received.length, 0, "wave1 waits for its delay");
    const before = await wavesOf(be1.deps, r.exec_id);
    assert.deepEqual(before.map((w) => w.state), ["published", "pending"]);
    assert.ok(before[0].published_at);

    // Restart mid-delay: the first process goes away, two new ones share broker and DB.
    await be1.stop();
    backends.length = 0;
    assert.ok(Date.now() - t0 < 3000, "restart happened inside the delay");
    backends.push(await startTestBackend({ broker, dbUrl }));
    backends.push(await startTestBackend({ broker, dbUrl }));

    await waitFor(() => a["PC-W1"].received.length >= 1, { what: "wave1", timeoutMs: 8000 });
    assert.ok(Date.now() - t0 >= 3000, "not before its due time");
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(a["PC-W1"].received.length, 1, "published exactly once");
    assert.equal(a["PC-CAN"].received.length, 1);
    // Both waves carry the exec's single request_id.
    assert.equal(a["PC-W1"].received[0].cmd.request_id, a["PC-CAN"].received[0].cmd.request_id);
    assert.equal(a["PC-W1"].received[0].cmd.exec_id, r.exec_id);
    const after = await wavesOf(backends[0].deps, r.exec_id);
    assert.deepEqual(after.map((w) => w.state), ["published", "published"]);
    assert.deepEqual(await wavesOf(backends[0].deps, "no-such-exec"), []);
  } finally {
    await agents?.stop();
    for (const b of backends) await b.stop();
    await broker.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("rollout.max_failures stops later waves", async () => {
  await withAgentDoubles({ projectors: ["results", "events"] }, async (be, startAgents) => {
    await seed(be, { "PC-BAD": ["canary"], "PC-NEXT": ["wave1"], "PC-OK": ["ok"] });
    const agents = await startAgents({
      "PC-BAD": { groups: ["canary"], exitCode: 1 },
      "PC-NEXT": { groups: ["wave1"] },
      "PC-OK": { groups: ["ok"] },
    });
    const a = agents.agents;
    await be.json("POST", "/api/jobs", JOB);

    const bad = await be.json<{ exec_id: string }>("POST", "/api/exec/roll", {
      rollout: {
        // The delay leaves the results projector time to record the canary failure, even on
        // a loaded machine (the gate reads the projected counters).
        waves: [{ group: "canary", delay: "0s" }, { group: "wave1", delay: "5s" }],
        max_failures: "0%",
      },
    });
    await waitFor(async () => {
      const w = await wavesOf(be.deps, bad.exec_id);
      return w[1]?.state === "skipped" ? w : null;
    }, { what: "wave1 skipped", timeoutMs: 30_000 });
    const waves = await wavesOf(be.deps, bad.exec_id);
    assert.match(
      waves[1].reason ?? "",
      /^max_failures \(0%\) exceeded: 1 failure\(s\) of 1 PC\(s\)$/,
    );
    assert.equal(a["PC-NEXT"].received.length, 0);
    const row = firstRow<{ failure_count: number }>(
      await be.deps.db.execute({
        sql: "SELECT failure_count FROM executions WHERE exec_id = ?",
        args: [bad.exec_id],
      }),
    );
    assert.equal(row?.failure_count, 1);

    // A budget of one failure lets the next wave go.
    const okExec = await be.json<{ exec_id: string }>("POST", "/api/exec/roll", {
      rollout: {
        waves: [{ group: "canary", delay: "0s" }, { group: "ok", delay: "1s" }],
        max_failures: 1,
      },
    });
    await waitFor(() => a["PC-OK"].received.length === 1, { what: "ok wave", timeoutMs: 30_000 });
    const w2 = await wavesOf(be.deps, okExec.exec_id);
    assert.deepEqual(w2.map((w) => w.state), ["published", "published"]);
  });
});

Deno.test("killing an execution cancels its pending waves", async () => {
  await withAgentDoubles({}, async (be, startAgents) => {
    await seed(be, { "PC-CAN": ["canary"], "PC-W1": ["wave1"] });
    const agents = await startAgents({
      "PC-CAN": { groups: ["canary"], runMs: Infinity },
      "PC-W1": { groups: ["wave1"] },
    });
    const a = agents.agents;
    await be.json("POST", "/api/jobs", JOB);
    const r = await be.json<{ exec_id: string }>("POST", "/api/exec/roll", {
      rollout: { waves: [{ group: "canary", delay: "0s" }, { group: "wave1", delay: "1s" }] },
    });
    await waitFor(() => a["PC-CAN"].running().length === 1, { what: "canary running" });
    const k = await be.request(`/api/executions/${r.exec_id}/kill`, { method: "POST" });
    assert.equal(k.status, 204);
    await waitFor(() => a["PC-CAN"].outcomes.length === 1, { what: "canary killed" });
    const waves = await wavesOf(be.deps, r.exec_id);
    assert.deepEqual(waves.map((w) => [w.state, w.reason ?? null]), [
      ["published", null],
      ["skipped", "cancelled by kill"],
    ]);
    // The execution detail route shows the same wave states.
    const detail = await be.json<{ waves: { index: number; group: string; state: string }[] }>(
      "GET",
      `/api/executions/${r.exec_id}`,
    );
    assert.deepEqual(detail.waves.map((w) => [w.index, w.group, w.state]), [
      [0, "canary", "published"],
      [1, "wave1", "skipped"],
    ]);
    await new Promise((res) => setTimeout(res, 1300));
    assert.equal(a["PC-W1"].received.length, 0, "the cancelled wave never goes out");
    // Settled records go with the executions retention (90 days by default), not before.
    assert.equal(await pruneWaveRecords(be.deps, Date.now() + 89 * 86_400_000), 0);
    assert.equal(await pruneWaveRecords(be.deps, Date.now() + 91 * 86_400_000), 1);
    assert.deepEqual(await wavesOf(be.deps, r.exec_id), []);
  });
});
