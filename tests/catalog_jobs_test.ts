/**
 * Job catalog details: JSON bodies get a YAML rendering, list tolerance and live counts,
 * a missing bucket, audit payloads, and the delete-after-revoke failure path.
 */
import assert from "node:assert/strict";
import YAML from "yaml";
import { startTestBackend } from "./helpers/backend.ts";
import { BUCKET } from "../wire/names.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { dbTs } from "../wire/time.ts";

const JOB = {
  id: "inv",
  version: "1.0.0",
  description: "Inventory",
  execute: { shell: "powershell", script: "Get-Facts", timeout: "60s" },
  inventory: { display: [{ field: "hostname", label: "Hostname" }] },
};

async function lastAudit(
  be: Awaited<ReturnType<typeof startTestBackend>>,
  subject: string,
): Promise<Record<string, unknown>> {
  const m = await be.deps.nats.jsm.streams.getMessage("AUDIT", { last_by_subj: subject });
  return parseJsonBytes(m!.data) as Record<string, unknown>;
}

Deno.test("job catalog: JSON upsert, YAML rendering, list tolerance, live counts, audit", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    // No jobs bucket at all: the list is empty and an upsert creates the bucket.
    await be.deps.nats.jsm.streams.delete(`KV_${BUCKET.jobs}`);
    assert.deepEqual(await be.json("GET", "/api/jobs"), []);
    const res = await be.request("/api/jobs", {
      method: "POST",
      headers: { "content-type": "application/json", "x-kanade-source": "cli" },
      body: JSON.stringify(JOB),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      id: "inv",
      version: "1.0.0",
      description: "Inventory",
      inventory: true,
    });
    const audit = await lastAudit(be, "audit.operator.job_upsert.inv");
    assert.equal(audit.actor, "operator");
    assert.deepEqual(audit.payload, {
      version: "1.0.0",
      inventory: true,
      sub: "service-token",
      source: "cli",
    });

    // A JSON body is mirrored as a YAML rendering of the stored JSON.
    const y = await (await be.request("/api/jobs/inv/yaml")).text();
    assert.deepEqual(YAML.parse(y), {
      id: "inv",
      version: "1.0.0",
      description: "Inventory",
      execute: { shell: "powershell", script: "Get-Facts", timeout: "60s", run_as: "system" },
      require_approval: false,
      inventory: { display: [{ field: "hostname", label: "Hostname" }] },
      emit: null,
      check: null,
      staleness: { mode: "cached" },
    });

    // Undecodable or foreign entries are skipped; a newer manifest with extra keys is kept.
    const kv = await be.deps.nats.kv(BUCKET.jobs);
    await kv.put("broken", "{not json");
    await kv.put("alien", JSON.stringify({ hello: "world" }));
    await kv.put(
      "a-newer",
      JSON.stringify({
        ...JOB,
        id: "a-newer",
        tier: "controller",
        execute: { ...JOB.execute, shell: "sh" },
      }),
    );
    const now = dbTs(Date.now());
    for (
      const [id, status] of [["e1", "pending"], ["e2", "running"], ["e3", "running"], [
        "e4",
        "completed",
      ]]
    ) {
      await be.deps.db.execute({
        sql:
          `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count, status)
              VALUES (?, 'inv', '1.0.0', 'operator', ?, 1, ?)`,
        args: [id, now, status],
      });
    }
    const list = await be.json<Record<string, unknown>[]>("GET", "/api/jobs");
    assert.deepEqual(list.map((j) => j.id), ["a-newer", "inv"]);
    assert.deepEqual(list[1].live, { running: 2, pending: 1 });
    assert.deepEqual(list[0].live, { running: 0, pending: 0 });
    assert.equal((list[0].execute as Record<string, unknown>).shell, "sh");
    assert.equal(Object.keys(list[1]).at(-1), "live");
    assert.deepEqual(Object.keys(list[1]).slice(0, 4), ["id", "version", "description", "execute"]);

    // Re-upsert keeps history (5) and the latest wins.
    await be.json("POST", "/api/jobs", { ...JOB, version: "1.0.1" });
    const e = await kv.get("inv");
    assert.equal((parseJsonBytes(e!.value) as { version: string }).version, "1.0.1");
    const hist = [];
    for await (const h of await kv.history({ key: "inv" })) hist.push(h);
    assert.equal(hist.length, 2);
  } finally {
    await be.stop();
  }
});

Deno.test("delete after revoke: a failing delete answers 500 with the unrevoke hint and audits", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    await be.json("POST", "/api/jobs", JOB);
    // Seal the jobs stream: the revoke (another bucket) works, the delete cannot.
    const info = await be.deps.nats.jsm.streams.info(`KV_${BUCKET.jobs}`);
    // `sealed` is a server-side stream flag the client's update type does not list.
    await be.deps.nats.jsm.streams.update(
      `KV_${BUCKET.jobs}`,
      { ...info.config, sealed: true } as Parameters<typeof be.deps.nats.jsm.streams.update>[1],
    );
    const res = await be.request("/api/jobs/inv", { method: "DELETE" });
    const body = await res.json() as { error: string };
    assert.equal(res.status, 500);
    assert.match(
      body.error,
      /^kv delete: .*; script_status\.inv is already REVOKED — `kanade unrevoke inv` \(or POST \/api\/scripts\/inv\/unrevoke\) to recover$/,
    );
    assert.deepEqual(await be.json("GET", "/api/scripts/status"), { inv: "REVOKED" });
    const audit = await lastAudit(be, "audit.operator.job_delete_failed_post_revoke.inv");
    assert.equal((audit.payload as Record<string, unknown>).cascade_revoke, true);
  } finally {
    await be.stop();
  }
});

Deno.test("delete: 503 without script_status, revoke/unrevoke 503 too", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    await be.json("POST", "/api/jobs", JOB);
    await be.deps.nats.jsm.streams.delete(`KV_${BUCKET.scriptStatus}`);
    const del = await be.request("/api/jobs/inv", { method: "DELETE" });
    assert.equal(del.status, 503);
    assert.match(
      (await del.json() as { error: string }).error,
      /^script_status bucket missing: run `kanade jetstream setup`$/,
    );
    const rv = await be.request("/api/scripts/inv/revoke", { method: "POST" });
    assert.equal(rv.status, 503);
    await rv.body?.cancel();
    assert.deepEqual(await be.json("GET", "/api/scripts/status"), {});
    // The job is still there: nothing was deleted without the revoke.
    assert.equal((await be.request("/api/jobs/inv/yaml")).status, 200);
  } finally {
    await be.stop();
  }
});
