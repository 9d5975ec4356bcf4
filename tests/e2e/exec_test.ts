/**
 * E2E: the operator's main loop through the HTTP API against a simulated fleet — register a
 * job from YAML, fire it at all / groups / PCs / waves, watch results go running → finished.
 */
import assert from "node:assert/strict";
import { jobYaml, waitFinished, waitFor, withE2E } from "./env.ts";

const PCS = ["PC-01", "PC-02", "PC-03", "PC-04", "PC-05", "PC-06"];

interface ExecReply {
  exec_id: string;
  job_id: string;
  version: string;
  target_count: number;
  subjects: string[];
}

Deno.test("e2e exec: YAML job to all, groups and PCs; results and executions through the API", async () => {
  await withE2E({ agents: PCS }, async (e) => {
    const reg = await e.registerYaml(jobYaml("hello", "echo hello {{pc_id}}"));
    assert.deepEqual(reg, {
      id: "hello",
      version: "1.0.0",
      description: "e2e hello",
      inventory: false,
    });
    const jobs = await e.api<{ id: string }[]>("GET", "/api/jobs");
    assert.ok(jobs.some((j) => j.id === "hello"));

    // Groups are assigned by the operator (KV agent_groups through the API).
    for (const pc of ["PC-01", "PC-02"]) {
      await e.api("PUT", `/api/agents/${pc}/groups`, { groups: ["canary"] });
    }
    await e.api("POST", `/api/agents/PC-03/groups`, { group: "wave1" });
    await waitFor(() => e.fleet.agent("PC-03").groups.includes("wave1"), { what: "groups watch" });

    // all
    const all = await e.api<ExecReply>("POST", "/api/exec/hello", { target: { all: true } });
    assert.equal(all.job_id, "hello");
    assert.deepEqual(all.subjects, ["commands.all"]);
    const allRows = await waitFinished(e, `exec_id=${all.exec_id}`, PCS.length);
    assert.deepEqual(allRows.map((r) => r.pc_id).sort(), PCS);
    for (const r of allRows) {
      assert.equal(r.exit_code, 0);
      assert.equal(r.stdout, `hello ${r.pc_id}\n`);
      assert.equal(r.job_id, "hello");
      assert.equal(r.exec_id, all.exec_id);
    }
    // The executions row is completed with every success counted.
    const ex = await waitFor(async () => {
      const d = await e.api<{ execution: { status: string; success_count: number } }>(
        "GET",
        `/api/executions/${all.exec_id}`,
      );
      return d.execution.success_count === PCS.length ? d : null;
    }, { what: "execution counters" });
    assert.equal(ex.execution.status, "completed");

    // groups + one PC: exactly the members and the named PC, each once.
    const grp = await e.api<ExecReply>("POST", "/api/exec/hello", {
      target: { groups: ["canary", "wave1"], pcs: ["PC-06"] },
    });
    const grpRows = await waitFinished(e, `exec_id=${grp.exec_id}`, 4);
    assert.deepEqual(grpRows.map((r) => r.pc_id).sort(), ["PC-01", "PC-02", "PC-03", "PC-06"]);

    // all + a group overlapping: one run per PC (one request_id per exec).
    const both = await e.api<ExecReply>("POST", "/api/exec/hello", {
      target: { all: true, groups: ["canary"] },
    });
    await waitFinished(e, `exec_id=${both.exec_id}`, PCS.length);
    await new Promise((r) => setTimeout(r, 300));
    const bothRows = await e.results(`exec_id=${both.exec_id}`);
    assert.equal(bothRows.length, PCS.length, "an agent matched twice must run once");

    // Every agent saw exactly the Commands addressed to it.
    assert.equal(e.fleet.agent("PC-04").commands.length, 2); // all, all+canary
    assert.equal(e.fleet.agent("PC-01").commands.length, 3);

    // A bad plan is a 400 with the upstream message, not a 500.
    const bad = await e.call<{ error: string }>("POST", "/api/exec/hello", { target: {} });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /target must specify at least one of/);
    assert.equal((await e.call("POST", "/api/exec/nope", { target: { all: true } })).status, 404);
  });
});

Deno.test("e2e exec: running → finished, failures, inventory, waves", async () => {
  await withE2E({ agents: PCS }, async (e) => {
    await e.registerYaml(jobYaml("slow", "echo begin\nsleep 1500\necho end"));
    const slow = await e.api<ExecReply>("POST", "/api/exec/slow", {
      target: { pcs: ["PC-01", "PC-02"] },
    });
    // While running: in-flight rows from events.started, no exit code yet.
    const running = await waitFor(async () => {
      const rows = await e.results(`exec_id=${slow.exec_id}&status=running`);
      return rows.length === 2 ? rows : null;
    }, { what: "2 running rows" });
    for (const r of running) {
      assert.equal(r.exit_code, null);
      assert.equal(r.finished_at, null);
    }
    const done = await waitFinished(e, `exec_id=${slow.exec_id}`, 2);
    assert.deepEqual(done.map((r) => r.stdout), ["begin\nend\n", "begin\nend\n"]);
    // Same result_id from running to finished (no ghost rows).
    assert.deepEqual(done.map((r) => r.result_id).sort(), running.map((r) => r.result_id).sort());

    await e.registerYaml(jobYaml("boom", "echo_err broken\nexit 3"));
    const boom = await e.api<ExecReply>("POST", "/api/exec/boom", { target: { pcs: ["PC-03"] } });
    const [b] = await waitFinished(e, `exec_id=${boom.exec_id}`, 1);
    assert.equal(b.exit_code, 3);
    assert.equal(b.stderr, "broken\n");
    const failures = await e.results(`status=failure&job_id=boom`);
    assert.equal(failures.length, 1);

    // Inventory: JSON stdout of a job with an inventory hint lands as facts.
    await e.registerYaml(jobYaml(
      "inv-hw",
      'json {"hostname":"{{pc_id}}","ram_bytes":8589934592}',
      "inventory:\n  display:\n    - { field: hostname, label: Hostname }\n    - { field: ram_bytes, label: RAM, type: bytes }\n",
    ));
    const inv = await e.api<ExecReply>("POST", "/api/exec/inv-hw", { target: { pcs: ["PC-04"] } });
    await waitFinished(e, `exec_id=${inv.exec_id}`, 1);
    const facts = await waitFor(async () => {
      const rows = await e.api<{ job_id: string; facts: Record<string, unknown> }[]>(
        "GET",
        "/api/inventory/PC-04",
      );
      return rows.find((r) => r.job_id === "inv-hw");
    }, { what: "inventory facts" });
    assert.deepEqual(facts.facts, { hostname: "PC-04", ram_bytes: 8589934592 });

    // Waves: canary now, wave1 after 1.5 s.
    await e.api("PUT", "/api/agents/PC-05/groups", { groups: ["canary"] });
    await e.api("PUT", "/api/agents/PC-06/groups", { groups: ["wave1"] });
    await waitFor(() => e.fleet.agent("PC-06").groups.includes("wave1"), { what: "groups" });
    await e.registerYaml(jobYaml("waved", "echo w"));
    const t0 = Date.now();
    const w = await e.api<ExecReply>("POST", "/api/exec/waved", {
      rollout: {
        strategy: "wave",
        waves: [{ group: "canary", delay: "0s" }, { group: "wave1", delay: "1500ms" }],
      },
    });
    const first = await waitFinished(e, `exec_id=${w.exec_id}`, 1);
    assert.deepEqual(first.map((r) => r.pc_id), ["PC-05"]);
    const both = await waitFinished(e, `exec_id=${w.exec_id}`, 2);
    const second = both.find((r) => r.pc_id === "PC-06")!;
    assert.ok(Date.parse(second.started_at) - t0 >= 1400, "wave1 waited for its delay");
  });
});

Deno.test("e2e exec: script objects, large output through result_output, emit events", async () => {
  await withE2E({ agents: PCS }, async (e) => {
    // A script body published to the object store; the job refers to it by key.
    const form = new FormData();
    form.append("file", new File(["echo from the object store on {{pc_id}}\n"], "body.ps1"));
    const up = await e.backend.request("/api/script-objects/objjob/1.0.0", {
      method: "POST",
      body: form,
    });
    assert.equal(up.status, 200, await up.clone().text());
    await up.body?.cancel();
    await e.registerYaml(`id: objjob
version: 1.0.0
execute:
  shell: powershell
  script_object: objjob/1.0.0
  timeout: 30s
`);
    const o = await e.api<ExecReply>("POST", "/api/exec/objjob", { target: { pcs: ["PC-01"] } });
    const cmd = await waitFor(() => e.fleet.agent("PC-01").commands.find((c) => c.id === "objjob"));
    assert.equal(cmd.script, "");
    assert.match(cmd.script_object_sha256 ?? "", /^[0-9a-f]{64}$/);
    const [objRow] = await waitFinished(e, `exec_id=${o.exec_id}`, 1);
    assert.equal(objRow.exit_code, 0);
    assert.equal(objRow.stdout, "from the object store on PC-01\n");

    // stdout > 256 KiB travels through result_output and the API shows the full text.
    const size = 300_000;
    await e.registerYaml(jobYaml("bigout", `stdout_bytes ${size}`));
    const big = await e.api<ExecReply>("POST", "/api/exec/bigout", { target: { pcs: ["PC-02"] } });
    const [bigRow] = await waitFinished(e, `exec_id=${big.exec_id}`, 1);
    const onWire = e.fleet.agent("PC-02").results.at(-1)!;
    assert.equal(onWire.stdout.length, size); // the agent's own record (before the pointer swap)
    const detail = await e.api<{ stdout: string }>("GET", `/api/results/${bigRow.result_id}`);
    assert.equal(detail.stdout.length, size);
    assert.ok(/^x+$/.test(detail.stdout));

    // emit: each stdout line becomes an obs event; the result's stdout is blanked.
    await e.registerYaml(jobYaml(
      "logons",
      'json {"at":"2026-05-28T10:41:00Z","kind":"logon","source":"winlog:Security","event_record_id":"77","payload":{"user":"taro"}}',
      "emit:\n  type: events\n",
    ));
    const em = await e.api<ExecReply>("POST", "/api/exec/logons", { target: { pcs: ["PC-03"] } });
    const [emRow] = await waitFinished(e, `exec_id=${em.exec_id}`, 1);
    assert.equal(emRow.stdout, "");
    const obs = await waitFor(async () => {
      const r = await e.api<{ events: { pc_id: string; kind: string; payload: unknown }[] }>(
        "GET",
        "/api/obs_events?pc_id=PC-03",
      );
      return r.events.length ? r.events : null;
    }, { what: "obs event" });
    assert.equal(obs[0].kind, "logon");
    assert.deepEqual(obs[0].payload, { user: "taro" });
  });
});
