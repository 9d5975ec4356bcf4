/**
 * Exec against the fleet simulator (simulator/): 200 simulated agents with heartbeats and
 * groups, the projectors running. Broadcast and group execs complete with every PC's
 * result counted against the alive target_count; a script_object job is fetched and
 * sha-verified by the agents; a kill stops a long run fleet-wide.
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { type Fleet, scripts, startFleet } from "../simulator/fleet.ts";
import { firstRow } from "../db/client.ts";

Deno.test("exec with the fleet simulator: all, group, script_object, kill", async (t) => {
  const be = await startTestBackend({ projectors: ["results", "events", "heartbeat"] });
  let fleet: Fleet | null = null;
  const N = 200;
  try {
    fleet = await startFleet({
      natsUrl: be.broker.url,
      agents: N,
      prefix: "SIM",
      groups: (_pc, i) => [i % 2 ? "odd" : "even"],
      writeGroups: true,
      heartbeatIntervalMs: 500,
      connections: 2,
      seed: 7,
    });
    await waitFor(async () => {
      const r = firstRow<{ n: number }>(
        await be.deps.db.execute("SELECT COUNT(*) AS n FROM agents"),
      );
      return r && r.n === N;
    }, { what: "every simulated agent heartbeated", timeoutMs: 15_000 });

    const execRow = (id: string) =>
      be.deps.db.execute({ sql: "SELECT * FROM executions WHERE exec_id = ?", args: [id] })
        .then((rs) => firstRow<Record<string, unknown>>(rs)!);

    await t.step("broadcast: target_count = alive PCs, completes with every result", async () => {
      await be.json("POST", "/api/jobs", {
        id: "sim-echo",
        version: "1",
        execute: { shell: "powershell", script: scripts.echo("hello"), timeout: "30s" },
      });
      const r = await be.json<{ exec_id: string; target_count: number }>(
        "POST",
        "/api/exec/sim-echo",
        { target: { all: true } },
      );
      assert.equal(r.target_count, N);
      await fleet!.waitForResults(N, 20_000);
      const row = await waitFor(async () => {
        const x = await execRow(r.exec_id);
        return x.status === "completed" ? x : null;
      }, { what: "execution completed", timeoutMs: 15_000 });
      assert.equal(row.success_count, N);
      assert.equal(row.failure_count, 0);
    });

    await t.step("group: only its members run, once each", async () => {
      const before = fleet!.stats().results;
      const r = await be.json<{ exec_id: string; target_count: number }>(
        "POST",
        "/api/exec/sim-echo",
        { target: { groups: ["even"], pcs: ["SIM0002"] } },
      );
      assert.equal(r.target_count, N / 2 + 1, "SIM0002 is odd: the union adds it");
      await fleet!.waitForResults(before + N / 2 + 1, 20_000);
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(fleet!.stats().results, before + N / 2 + 1);
      const mine = fleet!.results().filter((x) => x.exec_id === r.exec_id);
      assert.equal(new Set(mine.map((x) => x.pc_id)).size, N / 2 + 1);
    });

    await t.step("script_object: agents fetch and verify the digest", async () => {
      const form = new FormData();
      form.append("file", new File([scripts.echo("from-object")], "o.ps1"));
      const up = await be.request("/api/script-objects/sim-obj/1", { method: "POST", body: form });
      assert.equal(up.status, 200);
      await up.body?.cancel();
      await be.json("POST", "/api/jobs", {
        id: "sim-obj",
        version: "1",
        execute: { shell: "powershell", script_object: "sim-obj/1", timeout: "30s" },
      });
      const r = await be.json<{ exec_id: string }>("POST", "/api/exec/sim-obj", {
        target: { pcs: ["SIM0001", "SIM0003"] },
      });
      await waitFor(
        () => fleet!.results().filter((x) => x.exec_id === r.exec_id).length === 2,
        { what: "object results", timeoutMs: 15_000 },
      );
      for (const x of fleet!.results().filter((x) => x.exec_id === r.exec_id)) {
        assert.equal(x.exit_code, 0, x.stderr);
        assert.match(x.stdout, /from-object/);
      }
    });

    await t.step("kill stops a long run on every PC", async () => {
      await be.json("POST", "/api/jobs", {
        id: "sim-long",
        version: "1",
        execute: { shell: "powershell", script: scripts.sleep(60_000), timeout: "5m" },
      });
      const r = await be.json<{ exec_id: string }>("POST", "/api/exec/sim-long", {
        target: { groups: ["odd"] },
      });
      await waitFor(() => fleet!.stats().running >= N / 2, {
        what: "runs started",
        timeoutMs: 15_000,
      });
      const k = await be.request("/api/jobs/sim-long/kill", { method: "POST" });
      assert.equal(k.status, 204);
      await waitFor(
        () => fleet!.results().filter((x) => x.exec_id === r.exec_id).length === N / 2,
        { what: "killed results", timeoutMs: 15_000 },
      );
      for (const x of fleet!.results().filter((x) => x.exec_id === r.exec_id)) {
        assert.equal(x.exit_code, -1);
      }
    });

    await t.step("an ad-hoc run (POST /api/run) is killed by its exec id", async () => {
      const execId = crypto.randomUUID();
      const run = be.json<{ exit_code: number; exec_id: string }>("POST", "/api/run", {
        pc_id: fleet!.pcIds[0],
        script: scripts.sleep(60_000),
        timeout_secs: 120,
        job_id: execId,
      });
      // No `executions` row exists for a run: the kill finds it by its in-flight result row.
      await waitFor(async () => {
        const rs = await be.deps.db.execute({
          sql: "SELECT 1 FROM execution_results WHERE exec_id = ? AND finished_at IS NULL",
          args: [execId],
        });
        return rs.rows.length === 1;
      }, { what: "the run's in-flight row", timeoutMs: 15_000 });
      const k = await be.request(`/api/executions/${execId}/kill`, { method: "POST" });
      assert.equal(k.status, 204);
      const done = await run;
      assert.equal(done.exec_id, execId);
      assert.equal(done.exit_code, -1);
    });
  } finally {
    await fleet?.stop();
    await be.stop();
  }
});
