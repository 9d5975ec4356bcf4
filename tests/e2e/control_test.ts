/**
 * E2E: stopping and steering work through the HTTP API — kill a long run, revoke a job,
 * ad-hoc run, live tail of a running job, ping and logs of an agent.
 */
import assert from "node:assert/strict";
import { jobYaml, waitFinished, waitFor, withE2E } from "./env.ts";

const PCS = ["PC-01", "PC-02", "PC-03"];

Deno.test("e2e control: kill a long run, then revoke and unrevoke", async () => {
  await withE2E({ agents: PCS }, async (e) => {
    await e.registerYaml(jobYaml("long", "echo working\nsleep 30s\necho never"));
    const ex = await e.api<{ exec_id: string }>("POST", "/api/exec/long", {
      target: { all: true },
    });
    await waitFor(
      async () => (await e.results(`exec_id=${ex.exec_id}&status=running`)).length === 3,
      {
        what: "3 running",
      },
    );
    const t0 = Date.now();
    const kill = await e.call("POST", "/api/jobs/long/kill");
    assert.equal(kill.status, 204);
    const rows = await waitFinished(e, `exec_id=${ex.exec_id}`, 3, 10_000);
    assert.ok(Date.now() - t0 < 10_000);
    for (const r of rows) {
      assert.equal(r.exit_code, -1);
      assert.equal(r.stdout, "working\n");
      assert.equal(r.stderr, `killed by remote signal (kill.${ex.exec_id})`);
    }
    // Killing when nothing runs is still 204.
    assert.equal((await e.call("POST", "/api/jobs/long/kill")).status, 204);

    // Revoke: agents skip with exit 126 and the backend shows it.
    await e.registerYaml(jobYaml("risky", "echo should not run"));
    assert.equal((await e.call("POST", "/api/scripts/risky/revoke")).status, 204);
    const status = await e.api<Record<string, string>>("GET", "/api/scripts/status");
    assert.equal(status.risky, "REVOKED");
    const rv = await e.api<{ exec_id: string }>("POST", "/api/exec/risky", {
      target: { pcs: ["PC-02"] },
    });
    const [skipped] = await waitFinished(e, `exec_id=${rv.exec_id}`, 1);
    assert.equal(skipped.exit_code, 126);
    assert.equal(skipped.stderr, "skipped: command was revoked (script_status[risky] = revoked)");
    assert.equal(skipped.stdout, "");
    assert.equal((await e.call("POST", "/api/scripts/risky/unrevoke")).status, 204);
    const ok = await e.api<{ exec_id: string }>("POST", "/api/exec/risky", {
      target: { pcs: ["PC-02"] },
    });
    const [ran] = await waitFinished(e, `exec_id=${ok.exec_id}`, 1);
    assert.equal(ran.exit_code, 0);

    // A new version of the job runs the new script (script_current is pinned before publish).
    await e.registerYaml(jobYaml("risky", "echo v2", "", "2.0.0"));
    const v2 = await e.api<{ exec_id: string }>("POST", "/api/exec/risky", {
      target: { pcs: ["PC-03"] },
    });
    const [r2] = await waitFinished(e, `exec_id=${v2.exec_id}`, 1);
    assert.equal(r2.stdout, "v2\n");
  });
});

Deno.test("e2e control: ad-hoc run, live tail, ping and logs", async () => {
  await withE2E({ agents: PCS }, async (e) => {
    const run = await e.api<
      { pc_id: string; exit_code: number; stdout: string; request_id: string }
    >(
      "POST",
      "/api/run",
      { pc_id: "PC-01", shell: "powershell", script: "echo adhoc {{pc_id}}", timeout_secs: 10 },
    );
    assert.equal(run.pc_id, "PC-01");
    assert.equal(run.exit_code, 0);
    assert.equal(run.stdout, "adhoc PC-01\n");
    // The ad-hoc result is projected too (exec_id null, job adhoc-run).
    await waitFor(async () =>
      (await e.results(`pc_id=^PC-01$`)).some((r) => r.request_id === run.request_id)
    );
    // Unknown shell → 400 (a PC that never answers is a 408 after timeout + 10 s: too slow here).
    assert.equal(
      (await e.call("POST", "/api/run", { pc_id: "PC-01", shell: "bash", script: "x" })).status,
      400,
    );

    // Tail of a running job: the agent's partial stdout, then the final text from the DB.
    await e.registerYaml(jobYaml("tailme", "echo first line\nsleep 2500\necho second line"));
    const ex = await e.api<{ exec_id: string }>("POST", "/api/exec/tailme", {
      target: { pcs: ["PC-03"] },
    });
    const [row] = await waitFor(async () => {
      const rows = await e.results(`exec_id=${ex.exec_id}&status=running`);
      return rows.length ? rows : null;
    }, { what: "running row" });
    await waitFor(() => e.fleet.agent("PC-03").runs.some((r) => r.running && r.stdout));
    const live = await e.api<{ running: boolean; live: boolean; stdout: string }>(
      "GET",
      `/api/results/${row.result_id}/tail`,
    );
    assert.equal(live.running, true);
    assert.equal(live.live, true);
    assert.equal(live.stdout, "first line\n");
    await waitFinished(e, `exec_id=${ex.exec_id}`, 1);
    const fin = await e.api<{ running: boolean; stdout: string; exit_code: number }>(
      "GET",
      `/api/results/${row.result_id}/tail`,
    );
    assert.equal(fin.running, false);
    assert.equal(fin.stdout, "first line\nsecond line\n");
    assert.equal(fin.exit_code, 0);

    // Ping and logs round-trip to the simulated agent.
    const ping = await e.api<{ heartbeat: { pc_id: string; agent_version: string } }>(
      "POST",
      "/api/agents/PC-02/ping?wait_secs=5",
    );
    assert.equal(ping.heartbeat.pc_id, "PC-02");
    const logs = await e.backend.request("/api/agents/PC-03/logs?tail=3");
    assert.equal(logs.status, 200);
    const text = await logs.text();
    assert.equal(text.split("\n").filter(Boolean).length, 3);
    assert.match(text, /run finished/);
    e.fleet.setOnline("PC-01", false);
    const gone = await e.call("POST", "/api/agents/PC-01/ping?wait_secs=1");
    assert.equal(gone.status, 408);
  });
});
