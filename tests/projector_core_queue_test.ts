/**
 * Core-NATS projectors: in `shared` mode several processes split one subject through a
 * queue group (each sample written once); in `local` mode every node keeps its own copy.
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { startCoreProjector } from "../projectors/core_projector.ts";
import { hostPerfSpec } from "../projectors/host_perf.ts";
import { encodeHostPerf } from "../wire/perf.ts";
import { subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";

async function run(mode: "shared" | "local") {
  const a = await startTestBackend({ waves: false, env: { KANADE_PROJECTION_MODE: mode } });
  const b = await startTestBackend({
    waves: false,
    broker: a.broker,
    dbUrl: mode === "shared" ? a.dbUrl : undefined,
    env: { KANADE_PROJECTION_MODE: mode, KANADE_NODE_ID: "node2" },
  });
  const pa = startCoreProjector(a.deps, hostPerfSpec, { maxWaitMs: 50 });
  const pb = startCoreProjector(b.deps, hostPerfSpec, { maxWaitMs: 50 });
  try {
    await a.deps.nats.nc.flush();
    await b.deps.nats.nc.flush();
    const n = 60;
    for (let i = 0; i < n; i++) {
      const at = new Date(Date.UTC(2026, 10, 22, 12, 0, i)).toISOString();
      a.deps.nats.nc.publish(
        subjects.hostPerf("PCQ"),
        jsonBytes(encodeHostPerf({ pc_id: "PCQ", at, cpu_pct: i })),
      );
    }
    const count = async (be: typeof a) =>
      Number((await be.deps.db.execute("SELECT COUNT(*) AS n FROM host_perf_samples")).rows[0].n);
    await waitFor(async () => (await count(a)) === n && (await count(b)) === n, {
      what: "every sample in each DB",
    });
    return { a: pa.stats.applied, b: pb.stats.applied, n };
  } finally {
    await pa.stop();
    await pb.stop();
    await b.stop();
    await a.stop();
  }
}

Deno.test("core projectors: shared mode splits the subject (each sample written once)", async () => {
  const r = await run("shared");
  assert.equal(r.a + r.b, r.n, `applied ${r.a} + ${r.b} for ${r.n} samples`);
});

Deno.test("core projectors: local mode gives every node the whole subject", async () => {
  const r = await run("local");
  assert.equal(r.a, r.n);
  assert.equal(r.b, r.n);
});
