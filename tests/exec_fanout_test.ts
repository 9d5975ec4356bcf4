/**
 * Exec fan-out against a real broker with wire-speaking agent doubles: a job registered
 * from YAML fired at all / a group / named PCs; exactly one Command per agent with the
 * §4.1 JSON; script_current pinned before the first Command; kill; revoke → 126.
 */
import assert from "node:assert/strict";
import { type TestBackend, waitFor } from "./helpers/backend.ts";
import { withAgentDoubles } from "./helpers/agent_double.ts";
import { BUCKET, SCRIPT_STATUS_REVOKED } from "../wire/names.ts";
import { encodeAgentGroups } from "../wire/agent_groups.ts";
import { dbTs } from "../wire/time.ts";
import { firstRow, rowsOf } from "../db/client.ts";
import { parseJsonBytes, utf8 } from "../wire/codec.ts";

const YAML_JOB = `# operator's comment survives the mirror
id: hello
version: 1.0.0
description: Say hello
execute:
  shell: cmd
  script: echo hello
  timeout: 90s
  cwd: C:\\Temp
`;

export async function seedAgents(
  be: TestBackend,
  groups: Record<string, string[]>,
  dead: string[] = [],
) {
  const now = Date.now();
  const kv = await be.deps.nats.kv(BUCKET.agentGroups);
  for (const [pc, gs] of Object.entries(groups)) {
    await be.deps.db.execute({
      sql: "INSERT OR REPLACE INTO agents (pc_id, last_heartbeat, updated_at) VALUES (?, ?, ?)",
      args: [pc, dbTs(now), dbTs(now)],
    });
    if (gs.length) await kv.put(pc, encodeAgentGroups(gs));
  }
  for (const pc of dead) {
    const old = dbTs(now - 3600_000);
    await be.deps.db.execute({
      sql: "INSERT OR REPLACE INTO agents (pc_id, last_heartbeat, updated_at) VALUES (?, ?, ?)",
      args: [pc, old, old],
    });
  }
}

async function postYaml(be: TestBackend, body: string) {
  return await be.request("/api/jobs", {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body,
  });
}

interface ExecResp {
  exec_id: string;
  job_id: string;
  version: string;
  target_count: number;
  subjects: string[];
}

Deno.test("exec fan-out: all / group / pcs, exact Command JSON, pin before publish", async (t) => {
  await withAgentDoubles({}, async (be, startAgents) => {
    await seedAgents(be, { "PC-A": ["canary"], "PC-B": ["canary", "office"], "PC-C": [] }, [
      "PC-DEAD",
    ]);
    const agents = await startAgents({
      "PC-A": { groups: ["canary"] },
      "PC-B": { groups: ["canary", "office"] },
      "PC-C": {},
    });
    const a = agents.agents;

    await t.step("register from YAML: summary, stored JSON, YAML mirror", async () => {
      const res = await postYaml(be, YAML_JOB);
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await res.json(), {
        id: "hello",
        version: "1.0.0",
        description: "Say hello",
        inventory: false,
      });
      const stored = await (await be.deps.nats.kv(BUCKET.jobs)).get("hello");
      assert.equal(
        utf8(stored!.value),
        '{"id":"hello","version":"1.0.0","description":"Say hello","execute":{"shell":"cmd","script":"echo hello","timeout":"90s","run_as":"system","cwd":"C:\\\\Temp"},"require_approval":false,"inventory":null,"emit":null,"check":null,"staleness":{"mode":"cached"}}',
      );
      const y = await be.request("/api/jobs/hello/yaml");
      assert.equal(y.status, 200);
      assert.match(y.headers.get("content-type") ?? "", /application\/yaml/);
      assert.equal(await y.text(), YAML_JOB);
      const list = await be.json<Record<string, unknown>[]>("GET", "/api/jobs");
      assert.equal(list.length, 1);
      assert.deepEqual(list[0].live, { running: 0, pending: 0 });
    });

    await t.step("target all: one Command per agent, exact §4.1 bytes, pinned first", async () => {
      const r = await be.json<ExecResp>("POST", "/api/exec/hello", {
        target: { all: true },
        jitter: "30s",
      });
      assert.deepEqual(r.subjects, ["commands.all"]);
      assert.equal(r.target_count, 3, "three alive PCs, the dead one is not counted");
      await waitFor(() => Object.values(a).every((x) => x.outcomes.length === 1), {
        what: "every agent ran once",
      });
      const raws = new Set<string>();
      for (const ag of Object.values(a)) {
        assert.equal(ag.received.length, 1);
        const got = ag.received[0];
        assert.equal(got.subject, "commands.all");
        assert.equal(got.scriptCurrent, "1.0.0", "script_current was set before arrival");
        raws.add(got.raw);
        assert.equal(ag.outcomes[0].exit_code, 0);
      }
      assert.equal(raws.size, 1);
      const cmd = JSON.parse([...raws][0]);
      assert.equal(
        [...raws][0],
        JSON.stringify({
          id: "hello",
          version: "1.0.0",
          request_id: cmd.request_id,
          exec_id: r.exec_id,
          shell: "cmd",
          script: "echo hello",
          timeout_secs: 90,
          jitter_secs: 30,
          run_as: "system",
          cwd: "C:\\Temp",
          staleness: { mode: "cached" },
        }),
      );
      const row = firstRow<Record<string, unknown>>(
        await be.deps.db.execute({
          sql: "SELECT * FROM executions WHERE exec_id = ?",
          args: [r.exec_id],
        }),
      )!;
      assert.equal(row.job_id, "hello");
      assert.equal(row.initiated_by, "operator");
      assert.equal(row.target_count, 3);
      assert.equal(row.status, "pending");
      assert.match(String(row.initiated_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    });

    await t.step("audit exec carries payload, sub and source", async () => {
      const sub = await be.deps.nats.jsm.streams.getMessage("AUDIT", {
        last_by_subj: "audit.operator.exec.hello",
      });
      const ev = parseJsonBytes(sub!.data) as Record<string, unknown>;
      const p = ev.payload as Record<string, unknown>;
      assert.equal(ev.actor, "operator");
      assert.equal(ev.target, "hello");
      assert.deepEqual(Object.keys(p).slice(0, 5), [
        "exec_id",
        "version",
        "target_count",
        "subjects",
        "wave_mode",
      ]);
      assert.equal(p.wave_mode, false);
      assert.ok("sub" in p && "source" in p);
    });

    await t.step("group + pcs overlap: one request_id, each agent runs once", async () => {
      for (const ag of Object.values(a)) {
        ag.received.length = 0;
        ag.outcomes.length = 0;
      }
      const r = await be.json<ExecResp>("POST", "/api/exec/hello", {
        target: { groups: ["canary"], pcs: ["PC-B", "PC-C"] },
      });
      assert.deepEqual(r.subjects, [
        "commands.group.canary",
        "commands.pc.PC-B",
        "commands.pc.PC-C",
      ]);
      assert.equal(r.target_count, 3);
      await waitFor(() =>
        a["PC-A"].outcomes.length && a["PC-C"].outcomes.length &&
        a["PC-B"].received.length === 2, { what: "deliveries" });
      // PC-B got the group copy and its own copy: same request_id, run once.
      const b = a["PC-B"];
      assert.equal(b.received.filter((x) => !x.duplicate).length, 1);
      assert.equal(b.received[0].cmd.request_id, b.received[1].cmd.request_id);
      await waitFor(() => b.outcomes.length === 1, { what: "PC-B ran" });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(b.outcomes.length, 1);
      assert.equal(a["PC-A"].received.length, 1);
      assert.equal(a["PC-C"].received.length, 1);
    });

    await t.step("named PCs only reach those PCs", async () => {
      for (const ag of Object.values(a)) ag.received.length = 0;
      const res = await be.request("/api/exec/hello", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ target: { pcs: ["PC-C"] } }),
      });
      assert.equal(res.status, 200);
      const r = await res.json() as ExecResp;
      assert.equal(r.target_count, 1);
      // Each step of the exec is timed for the operator (Server-Timing), in the order the
      // steps start (target resolution runs beside the job lookup, the pin beside it).
      const steps = (res.headers.get("server-timing") ?? "").split(", ").map((s) =>
        s.split(";")[0]
      );
      assert.deepEqual(steps, ["resolve", "job", "prepare", "pin", "row", "record", "publish"]);
      await waitFor(() => a["PC-C"].received.length === 1, { what: "PC-C got it" });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(a["PC-A"].received.length, 0);
      assert.equal(a["PC-B"].received.length, 0);
    });

    await t.step("a version bump is pinned before the new Command arrives", async () => {
      for (const ag of Object.values(a)) {
        ag.received.length = 0;
        ag.outcomes.length = 0;
      }
      const res = await postYaml(be, YAML_JOB.replace("1.0.0", "1.1.0"));
      assert.equal(res.status, 200);
      await be.json("POST", "/api/exec/hello", { target: { all: true } });
      await waitFor(() => Object.values(a).every((x) => x.outcomes.length === 1), {
        what: "runs",
      });
      for (const ag of Object.values(a)) {
        assert.equal(ag.received[0].scriptCurrent, "1.1.0");
        assert.equal(ag.outcomes[0].exit_code, 0, "no 124 version-pin skip");
      }
    });

    await t.step("revoked job: agents skip with exit 126, unrevoke restores", async () => {
      for (const ag of Object.values(a)) ag.outcomes.length = 0;
      const rv = await be.request("/api/scripts/hello/revoke", { method: "POST" });
      assert.equal(rv.status, 204);
      assert.equal((await be.request("/api/scripts/hello/revoke", { method: "POST" })).status, 204);
      assert.deepEqual(await be.json("GET", "/api/scripts/status"), {
        hello: SCRIPT_STATUS_REVOKED,
      });
      const r = await be.json<ExecResp>("POST", "/api/exec/hello", { target: { pcs: ["PC-A"] } });
      await waitFor(() => a["PC-A"].outcomes.length === 1, { what: "PC-A result" });
      assert.equal(a["PC-A"].outcomes[0].exit_code, 126);
      assert.equal(
        a["PC-A"].outcomes[0].stderr,
        "skipped: command was revoked (script_status[hello] = revoked)",
      );
      // The backend sees it: the 126 result sits on RESULTS for this exec.
      const m = await be.deps.nats.jsm.streams.getMessage("RESULTS", {
        last_by_subj: `results.${a["PC-A"].outcomes[0].request_id}`,
      });
      const res = parseJsonBytes(m!.data) as Record<string, unknown>;
      assert.equal(res.exec_id, r.exec_id);
      assert.equal(res.exit_code, 126);
      assert.equal(
        (await be.request("/api/scripts/hello/unrevoke", { method: "POST" })).status,
        204,
      );
      assert.deepEqual(await be.json("GET", "/api/scripts/status"), { hello: "ACTIVE" });
    });
  });
});

Deno.test("kill reaches every in-flight execution of a job", async () => {
  await withAgentDoubles({}, async (be, startAgents) => {
    await seedAgents(be, { "PC-1": [], "PC-2": [] });
    const agents = await startAgents({
      "PC-1": { runMs: Infinity },
      "PC-2": { runMs: Infinity },
    });
    const a = agents.agents;
    const res = await postYaml(be, YAML_JOB.replace("id: hello", "id: long"));
    assert.equal(res.status, 200);
    const e1 = await be.json<ExecResp>("POST", "/api/exec/long", { target: { pcs: ["PC-1"] } });
    const e2 = await be.json<ExecResp>("POST", "/api/exec/long", { target: { all: true } });
    await waitFor(() => a["PC-1"].running().length === 2 && a["PC-2"].running().length === 1, {
      what: "three runs in flight",
    });
    const list = await be.json<{ id: string; live: unknown }[]>("GET", "/api/jobs");
    assert.deepEqual(list.find((j) => j.id === "long")!.live, { running: 0, pending: 2 });

    // One execution only first.
    const k1 = await be.request(`/api/executions/${e1.exec_id}/kill`, { method: "POST" });
    assert.equal(k1.status, 204);
    await waitFor(() => a["PC-1"].outcomes.length === 1, { what: "e1 killed" });
    assert.equal(a["PC-1"].outcomes[0].exec_id, e1.exec_id);
    assert.equal(a["PC-1"].outcomes[0].exit_code, -1);
    assert.deepEqual(a["PC-1"].running(), [e2.exec_id]);

    const k = await be.request("/api/jobs/long/kill", { method: "POST" });
    assert.equal(k.status, 204);
    await waitFor(() => a["PC-1"].outcomes.length === 2 && a["PC-2"].outcomes.length === 1, {
      what: "every run killed",
    });
    for (const o of [...a["PC-1"].outcomes, ...a["PC-2"].outcomes]) {
      assert.equal(o.exit_code, -1);
      assert.match(o.stderr, /^killed by remote signal \(kill\./);
    }
    const audit = await be.deps.nats.jsm.streams.getMessage("AUDIT", {
      last_by_subj: "audit.operator.job_kill.long",
    });
    const p = (parseJsonBytes(audit!.data) as { payload: { exec_ids: string[] } }).payload;
    assert.deepEqual(new Set(p.exec_ids), new Set([e1.exec_id, e2.exec_id]));

    // Nothing running: still 204; unknown execution: 404.
    assert.equal((await be.request("/api/jobs/nothing/kill", { method: "POST" })).status, 204);
    const nf = await be.request(`/api/executions/${crypto.randomUUID()}/kill`, { method: "POST" });
    assert.equal(nf.status, 404);
    const rows = rowsOf(await be.deps.db.execute("SELECT exec_id FROM executions"));
    assert.equal(rows.length, 2);
  });
});
