/**
 * Ad-hoc run (subscribe-before-publish, the raw ExecResult back, 408 on timeout) and
 * script objects (upload / list / download / delete, exec with the digest as hex).
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { withAgentDoubles } from "./helpers/agent_double.ts";
import { adhocRun } from "../lib/exec/run.ts";
import { TimeoutError } from "../lib/errors.ts";
import { parseJsonBytes } from "../wire/codec.ts";

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("POST /api/run answers the agent's ExecResult; 408 when nobody answers", async () => {
  await withAgentDoubles({}, async (be, startAgents) => {
    const agents = await startAgents({ "PC-R": { stdout: "PC-R\n" } });
    const a = agents.agents["PC-R"];
    const res = await be.request("/api/run", {
      method: "POST",
      headers: { "content-type": "application/json", "x-kanade-source": "spa" },
      body: JSON.stringify({ pc_id: "PC-R", shell: "pwsh", script: "hostname", timeout_secs: 5 }),
    });
    assert.equal(res.status, 200);
    const body = await res.json() as Record<string, unknown>;
    assert.equal(body.pc_id, "PC-R");
    assert.equal(body.exit_code, 0);
    assert.equal(body.stdout, "PC-R\n");
    assert.equal(body.manifest_id, "adhoc-run");
    assert.equal(a.received.length, 1);
    const cmd = JSON.parse(a.received[0].raw);
    assert.equal(
      a.received[0].raw,
      JSON.stringify({
        id: "adhoc-run",
        version: "0.0.0",
        request_id: cmd.request_id,
        exec_id: null,
        shell: "powershell",
        script: "hostname",
        timeout_secs: 5,
        jitter_secs: null,
        run_as: "system",
        staleness: { mode: "cached" },
      }),
    );
    assert.equal(body.request_id, cmd.request_id);
    assert.equal(a.received[0].subject, "commands.pc.PC-R");
    // No executions row for ad-hoc runs.
    const n = await be.deps.db.execute("SELECT COUNT(*) AS n FROM executions");
    assert.equal(n.rows[0].n, 0);

    // Nobody listens on PC-GONE: the lib's grace is shortened to keep the test fast.
    const t0 = Date.now();
    await assert.rejects(
      adhocRun(be.deps, { pc_id: "PC-GONE", script: "x", timeout_secs: 0 }, { graceMs: 300 }),
      (e) =>
        e instanceof TimeoutError &&
        /^no result from 'PC-GONE' within 0 s/.test(e.message),
    );
    assert.ok(Date.now() - t0 >= 300);
  });
});

Deno.test("script objects: upload, list, download, exec sends the hex digest, delete", async () => {
  await withAgentDoubles({}, async (be, startAgents) => {
    const bytes = new TextEncoder().encode("Write-Output 'from object store'\r\n");
    const form = new FormData();
    form.append("file", new File([bytes], "deploy.ps1"));
    const up = await be.request("/api/script-objects/deploy-backend/0.43.0", {
      method: "POST",
      body: form,
    });
    assert.equal(up.status, 200, await up.clone().text());
    const info = await up.json() as Record<string, unknown>;
    const hex = await sha256Hex(bytes);
    assert.equal(info.key, "deploy-backend/0.43.0");
    assert.equal(info.sha256, hex);
    assert.equal(info.size, bytes.length);

    const list = await be.json<Record<string, unknown>[]>("GET", "/api/script-objects");
    assert.equal(list.length, 1);
    assert.equal(list[0].name, "deploy-backend");
    assert.equal(list[0].version, "0.43.0");
    assert.equal(list[0].sha256, hex);

    const dl = await be.request("/api/script-objects/deploy-backend/0.43.0");
    assert.equal(dl.status, 200);
    assert.deepEqual(new Uint8Array(await dl.arrayBuffer()), bytes);

    await be.json("POST", "/api/jobs", {
      id: "install-kanade-backend",
      version: "0.43.0",
      execute: { shell: "powershell", script_object: "deploy-backend/0.43.0", timeout: "300s" },
      require_approval: true,
    });
    const agents = await startAgents({ "PC-S": {} });
    const r = await be.json<{ exec_id: string }>("POST", "/api/exec/install-kanade-backend", {
      target: { pcs: ["PC-S"] },
    });
    const a = agents.agents["PC-S"];
    await waitFor(() => a.received.length === 1, { what: "command" });
    const cmd = JSON.parse(a.received[0].raw);
    assert.equal(
      a.received[0].raw,
      JSON.stringify({
        id: "install-kanade-backend",
        version: "0.43.0",
        request_id: cmd.request_id,
        exec_id: r.exec_id,
        shell: "powershell",
        script: "",
        script_object: "deploy-backend/0.43.0",
        script_object_sha256: hex,
        timeout_secs: 300,
        jitter_secs: null,
        run_as: "system",
        staleness: { mode: "cached" },
      }),
    );

    const del = await be.request("/api/script-objects/deploy-backend/0.43.0", { method: "DELETE" });
    assert.equal(del.status, 204);
    assert.equal((await be.request("/api/script-objects/deploy-backend/0.43.0")).status, 404);
    assert.deepEqual(await be.json("GET", "/api/script-objects"), []);
    const audit = await be.deps.nats.jsm.streams.getMessage("AUDIT", {
      last_by_subj: "audit.operator.script_object_delete.deploy-backend/0.43.0",
    });
    assert.equal(
      (parseJsonBytes(audit!.data) as { payload: { existed: boolean } }).payload.existed,
      true,
    );
  });
});

Deno.test("GET /api/schemas/manifest.json serves the generated schema", async () => {
  const be = await startTestBackend();
  try {
    const s = await be.json<{ $schema: string; properties: Record<string, unknown> }>(
      "GET",
      "/api/schemas/manifest.json",
    );
    assert.match(s.$schema, /json-schema\.org/);
    assert.ok("execute" in s.properties && "staleness" in s.properties);
  } finally {
    await be.stop();
  }
});
