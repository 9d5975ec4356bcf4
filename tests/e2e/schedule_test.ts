/**
 * E2E: schedules registered through the API fire through the scheduler at the simulated
 * fleet; every_tick fires each second, once_per_pc stops once every PC succeeded, and a
 * deleted schedule stops firing.
 */
import assert from "node:assert/strict";
import { jobYaml, waitFor, withE2E } from "./env.ts";

interface Execution {
  exec_id: string;
  job_id: string;
  initiated_by: string;
  success_count: number;
}

Deno.test("e2e schedule: every_tick and once_per_pc through the API", async () => {
  await withE2E({ agents: ["PC-01", "PC-02", "PC-03"] }, async (e) => {
    await e.registerYaml(jobYaml("tick", "echo tick"));
    // The backend must know the agents are alive before once_per_pc resolves them.
    await waitFor(async () => (await e.api<unknown[]>("GET", "/api/agents")).length === 3, {
      what: "agents alive",
    });
    const res = await e.backend.request("/api/schedules", {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: `id: every-second
cron: "* * * * * *"
job_id: tick
target: { all: true }
mode: every_tick
enabled: true
`,
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    const fired = await waitFor(async () => {
      const ex = await e.api<Execution[]>("GET", "/api/executions?job_id=tick&limit=100");
      return ex.filter((x) => x.success_count === 3).length >= 2 ? ex : null;
    }, { timeoutMs: 15_000, what: "two completed fires" });
    assert.ok(fired.every((x) => x.initiated_by === "scheduler"));
    assert.equal((await e.call("DELETE", "/api/schedules/every-second")).status, 204);
    await new Promise((r) => setTimeout(r, 1500)); // a tick in flight may still land
    const settled =
      (await e.api<Execution[]>("GET", "/api/executions?job_id=tick&limit=100")).length;
    await new Promise((r) => setTimeout(r, 2500));
    const after = (await e.api<Execution[]>("GET", "/api/executions?job_id=tick&limit=100")).length;
    assert.equal(after, settled, "a deleted schedule stops firing");

    // once_per_pc: each PC runs once, then the schedule has nothing left to do.
    await e.registerYaml(jobYaml("once", "echo once {{pc_id}}"));
    await e.api("POST", "/api/schedules", {
      id: "once-each",
      cron: "* * * * * *",
      job_id: "once",
      target: { all: true },
      mode: "once_per_pc",
      enabled: true,
    });
    await waitFor(
      async () => (await e.results("job_id=^once$")).filter((r) => r.exit_code === 0).length >= 3,
      {
        timeoutMs: 15_000,
        what: "once_per_pc results",
      },
    );
    await new Promise((r) => setTimeout(r, 3000));
    const rows = await e.results("job_id=^once$");
    assert.deepEqual(
      rows.map((r) => r.pc_id).sort(),
      ["PC-01", "PC-02", "PC-03"],
      "each PC exactly once",
    );
    await e.call("DELETE", "/api/schedules/once-each");
  });
});
