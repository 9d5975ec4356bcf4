/**
 * E2E: the upstream integration scenarios of clients.md §4.3 that apply to a backend —
 * broker restarted under running processes (heartbeats resume, in-flight results land
 * exactly once, a new exec completes) and an agent offline then replaying from EXEC.
 */
import assert from "node:assert/strict";
import { jobYaml, type ResultRow, waitFinished, waitFor, withE2E } from "./env.ts";

const N = 12;

Deno.test("e2e resilience: broker restart under load", async () => {
  await withE2E({ agents: N, fleet: { prefix: "RS-" } }, async (e) => {
    await e.registerYaml(jobYaml("work", "echo start\nsleep 1200\necho end"));
    await waitFor(async () => {
      const agents = await e.api<{ pc_id: string }[]>("GET", "/api/agents?limit=1000");
      return agents.length === N;
    }, { what: "agents registered" });
    // Two waves of in-flight work, then the broker dies while they run.
    const a = await e.api<{ exec_id: string }>("POST", "/api/exec/work", { target: { all: true } });
    await waitFor(() => e.fleet.stats().running >= N, { what: "runs in flight" });
    const restartAt = Date.now();
    await e.backend.broker.restart({ downMs: 1500 });
    // Results finished while the broker was down sit in the agents' outboxes and go out later.
    const rowsA = await waitFinished(e, `exec_id=${a.exec_id}`, N, 30_000);
    assertOncePerPc(rowsA, N);
    for (const r of rowsA) assert.equal(r.stdout, "start\nend\n");

    // Heartbeats resume: every agent has a heartbeat newer than the restart.
    await waitFor(async () => {
      const agents = await e.api<{ pc_id: string; last_heartbeat: string }[]>(
        "GET",
        "/api/agents?limit=1000",
      );
      return agents.length === N && agents.every((x) => Date.parse(x.last_heartbeat) > restartAt);
    }, { timeoutMs: 20_000, what: "heartbeats after restart" });

    // A new exec after the restart completes everywhere (retry a 5xx while reconnecting).
    const b = await waitFor(async () => {
      const r = await e.call<{ exec_id: string }>("POST", "/api/exec/work", {
        target: { all: true },
      });
      return r.status === 200 ? r.body : null;
    }, { timeoutMs: 15_000, what: "exec accepted after restart" });
    const rowsB = await waitFinished(e, `exec_id=${b.exec_id}`, N, 20_000);
    assertOncePerPc(rowsB, N);
    assert.ok(rowsB.every((r) => r.exit_code === 0));
    // Nothing was projected twice.
    const all = await e.results("job_id=^work$");
    assert.equal(all.length, 2 * N);
    assert.equal(new Set(all.map((r) => r.result_id)).size, 2 * N);
  });
});

Deno.test("e2e resilience: an agent offline misses nothing — it replays from EXEC when back", async () => {
  await withE2E({ agents: ["PC-01", "PC-02", "PC-03"] }, async (e) => {
    await e.registerYaml(jobYaml("note", "echo noted {{pc_id}}"));
    e.fleet.setOnline("PC-02", false);
    const toAll = await e.api<{ exec_id: string }>("POST", "/api/exec/note", {
      target: { all: true },
    });
    const rows = await waitFinished(e, `exec_id=${toAll.exec_id}`, 2);
    assert.deepEqual(rows.map((r) => r.pc_id).sort(), ["PC-01", "PC-03"]);
    const toPc = await e.api<{ exec_id: string }>("POST", "/api/exec/note", {
      target: { pcs: ["PC-02"] },
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await e.results(`exec_id=${toPc.exec_id}`)).length, 0);
    assert.equal(e.fleet.agent("PC-02").commands.length, 0);

    e.fleet.setOnline("PC-02", true);
    const back = await waitFinished(e, `exec_id=${toPc.exec_id}`, 1);
    assert.equal(back[0].stdout, "noted PC-02\n");
    const full = await waitFinished(e, `exec_id=${toAll.exec_id}`, 3);
    assert.deepEqual(full.map((r) => r.pc_id).sort(), ["PC-01", "PC-02", "PC-03"]);
    // Upstream's conformance scenario: an ad-hoc run at a stopped agent times out (408), and
    // once the agent is back the command is replayed and its result lands anyway.
    e.fleet.setOnline("PC-03", false);
    const t0 = Date.now();
    const late = await e.call("POST", "/api/run", {
      pc_id: "PC-03",
      script: "echo marker-7f3a",
      timeout_secs: 1,
    });
    assert.equal(late.status, 408);
    assert.ok(Date.now() - t0 >= 10_000, "waits timeout_secs + 10 s");
    e.fleet.setOnline("PC-03", true);
    await waitFor(
      async () =>
        (await e.results("stdout=marker-7f3a")).some((r) =>
          r.pc_id === "PC-03" && r.exit_code === 0
        ),
      {
        what: "replayed ad-hoc result",
      },
    );
    // Going offline and back again replays nothing twice.
    e.fleet.setOnline("PC-02", false);
    e.fleet.setOnline("PC-02", true);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal((await e.results(`job_id=^note$&pc_id=^PC-02$`)).length, 2);
  });
});

function assertOncePerPc(rows: ResultRow[], n: number) {
  assert.equal(rows.length, n);
  assert.equal(new Set(rows.map((r) => r.pc_id)).size, n, "one row per PC");
  assert.equal(new Set(rows.map((r) => r.result_id)).size, n);
}
