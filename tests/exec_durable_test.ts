/**
 * An exec is durable in JetStream before any Command goes out: the `exec` record that a
 * rebuilt projection recreates the execution from is a required, acknowledged publish.
 *  - The broker refuses that record → 503, no Command seen by an agent, no row, no wave
 *    record; the same through the scheduler's dispatch (a retryable failure, nothing
 *    published), since fires and waves share the pipeline.
 *  - A wiped DB after a normal exec: the row comes back from the stream.
 *  - A dispatch that fails after its record was stored records `exec_aborted`, so a
 *    rebuild does not revive an execution that never went out.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startNatsServer } from "./helpers/nats_server.ts";
import { type AgentSet, startAgentDoubles } from "./helpers/agent_double.ts";
import { dispatchExec } from "../lib/exec/dispatch.ts";
import { RefusedError, UnavailableError } from "../lib/errors.ts";
import { kvSnapshot } from "../lib/kv.ts";
import type { Deps } from "../lib/deps.ts";
import { decodeManifest, type Manifest } from "../wire/manifest.ts";
import { FanoutPlanSchema } from "../wire/fanout.ts";
import { BUCKET, STREAM } from "../wire/names.ts";
import { firstRow } from "../db/client.ts";

const JOB = {
  id: "durable-job",
  version: "1.0.0",
  execute: { shell: "powershell", script: "Get-Date", timeout: "60s" },
};

async function count(be: TestBackend, sql: string, args: string[] = []): Promise<number> {
  return Number(firstRow<{ n: number }>(await be.deps.db.execute({ sql, args }))?.n ?? 0);
}

/** Make the AUDIT stream refuse every publish (a sealed stream accepts nothing). */
async function refuseAudit(be: TestBackend) {
  const jsm = be.deps.nats.jsm;
  const info = await jsm.streams.info(STREAM.audit);
  // `sealed` is a server-side stream flag the client's update type does not list.
  await jsm.streams.update(
    STREAM.audit,
    { ...info.config, sealed: true } as Parameters<typeof jsm.streams.update>[1],
  );
}

Deno.test("the broker refuses the exec record: 503, no Command, no row", async () => {
  const be = await startTestBackend({ waves: false });
  let agents: AgentSet | null = null;
  const seen: string[] = [];
  const tap = await connect({ servers: be.broker.url });
  try {
    await be.json("POST", "/api/jobs", JOB);
    agents = await startAgentDoubles(be.broker.url, { "PC-D1": { groups: ["ga"] } });
    const sub = tap.subscribe("commands.>", {
      callback: (_e, m) => {
        seen.push(m.subject);
      },
    });
    await tap.flush();
    await refuseAudit(be);

    const bodies = [
      { target: { all: true } },
      { target: { pcs: ["PC-D1"], groups: ["ga"] } },
      { rollout: { waves: [{ group: "ga", delay: "0s" }, { group: "gb", delay: "1h" }] } },
    ];
    for (const body of bodies) {
      const res = await be.request(`/api/exec/${JOB.id}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const out = await res.json() as { error: string; status: number };
      assert.equal(res.status, 503, JSON.stringify(out));
      assert.match(out.error, /^exec not recorded in JetStream, nothing was published: /);
      assert.equal(res.headers.get("retry-after"), "1");
    }

    // The scheduler's fire goes through the same pipeline: a failure it may retry (not a
    // refusal), with nothing published.
    const manifest = decodeManifest(JOB) as Manifest;
    const err = await dispatchExec(be.deps as Deps, {
      manifest,
      plan: FanoutPlanSchema.parse({ target: { all: true } }),
      actor: "scheduler",
      ids: { execId: crypto.randomUUID(), requestId: crypto.randomUUID() },
    }).then(() => null, (e) => e);
    assert.ok(err instanceof UnavailableError, String(err));
    assert.ok(!(err instanceof RefusedError));

    await tap.flush();
    await new Promise((r) => setTimeout(r, 300)); // a stray Command would have arrived
    assert.deepEqual(seen, [], "no Command on any subject");
    assert.equal(agents.agents["PC-D1"].received.length, 0);
    assert.equal(await count(be, "SELECT COUNT(*) AS n FROM executions"), 0);
    assert.deepEqual(await kvSnapshot(be.deps.nats, BUCKET.pendingWaves), [], "no wave record");
    sub.unsubscribe();
  } finally {
    await tap.close();
    await agents?.stop();
    await be.stop();
  }
});

Deno.test("a wiped DB after a normal exec: the execution comes back from the stream", async () => {
  const broker = await startNatsServer();
  let b2: TestBackend | null = null;
  const b = await startTestBackend({ broker, projectors: ["audit"], waves: false });
  try {
    await b.json("POST", "/api/jobs", JOB);
    const r = await b.json<{ exec_id: string }>("POST", `/api/exec/${JOB.id}`, {
      target: { pcs: ["PC-X1", "PC-X2"] },
    });
    const row = async (x: TestBackend) =>
      firstRow<Record<string, unknown>>(
        await x.deps.db.execute({
          sql: `SELECT exec_id, job_id, version, initiated_by, initiated_at, target_count, status
                FROM executions WHERE exec_id = ?`,
          args: [r.exec_id],
        }),
      ) ?? null;
    const before = await row(b);
    assert.ok(before, "the API wrote the row");
    // Also a dispatch that fails after its record: aborted, and not revived by a rebuild.
    const nc = await connect({ servers: broker.url });
    await nc.close();
    const broken = { ...b.deps, nats: { ...b.deps.nats, nc } } as Deps;
    const failed = await dispatchExec(broken, {
      manifest: decodeManifest(JOB) as Manifest,
      plan: FanoutPlanSchema.parse({ target: { all: true } }),
      actor: "operator",
    }).then(() => null, (e) => e as Error);
    assert.match(String(failed?.message), /^publish to commands\.all: /);
    await waitFor(
      async () =>
        await count(b, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'exec_aborted'") === 1,
      { what: "exec_aborted projected" },
    );
    assert.equal(await count(b, "SELECT COUNT(*) AS n FROM executions"), 1);
    await b.stop();

    // A brand-new, empty DB on the same broker: the audit projector replays AUDIT.
    b2 = await startTestBackend({ broker, projectors: ["audit"], waves: false });
    const after = await waitFor(() => row(b2!), { what: "execution recreated" });
    assert.deepEqual(after, before);
    await waitFor(
      async () =>
        await count(b2!, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'exec_aborted'") ===
          1,
      { what: "the whole AUDIT stream replayed" },
    );
    assert.equal(await count(b2, "SELECT COUNT(*) AS n FROM executions"), 1, "aborted stays out");
  } finally {
    await b2?.stop();
    await b.stop().catch(() => {});
    await broker.stop();
  }
});
