/**
 * kill -9 of a projector process in the middle of a flood, then a restart: every result
 * is present exactly once and the parent execution counted each exactly once.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/backend.ts";
import { tempDb } from "./helpers/db.ts";
import { connectNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { nowDb } from "../wire/time.ts";

const N = 6_000;

function spawnProjector(natsUrl: string, dbUrl: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "--projectors",
      "--only",
      "results",
    ],
    env: {
      KANADE_NATS_URL: natsUrl,
      KANADE_DB_URL: dbUrl,
      KANADE_AUTH_DISABLE: "1",
      KANADE_LOG_LEVEL: "error",
      // Messages delivered to the killed process come back quickly.
      KANADE_PROJECTOR_ACK_WAIT_SECS: "2",
      KANADE_PROJECTOR_BATCH: "200",
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("kill -9 mid-batch then restart: every result exactly once", async () => {
  const broker = await startNatsServer();
  const t = await tempDb();
  const nats = await connectNats({ natsServers: [broker.url] });
  let child: Deno.ChildProcess | null = null;
  try {
    await setupJetStream(nats);
    const execId = crypto.randomUUID();
    await t.db.execute({
      sql:
        `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count)
            VALUES (?, 'flood', '1', 'test', ?, ?)`,
      args: [execId, nowDb(), N],
    });
    const count = async () =>
      Number((await t.db.execute("SELECT COUNT(*) AS n FROM execution_results")).rows[0].n);

    child = spawnProjector(broker.url, t.url);
    // Publish the flood while the projector runs.
    const publishing = (async () => {
      for (let i = 0; i < N; i += 500) {
        await Promise.all(Array.from({ length: Math.min(500, N - i) }, (_, j) => {
          const k = i + j;
          return nats.js.publish(
            subjects.results(`req-${k}`),
            jsonBytes(encodeExecResult({
              result_id: crypto.randomUUID(),
              request_id: `req-${k}`,
              exec_id: execId,
              pc_id: `PC${k}`,
              exit_code: k % 7 === 0 ? 1 : 0,
              stdout: `out ${k}`,
              stderr: "",
              started_at: "2026-06-20T00:00:00Z",
              finished_at: "2026-06-20T00:00:01Z",
            } as never)),
          );
        }));
      }
    })();
    // Kill as soon as part of the flood is projected (mid-stream, batches in flight).
    await waitFor(async () => (await count()) > 200, { timeoutMs: 30_000, what: "first rows" });
    child.kill("SIGKILL");
    await child.status;
    child = null;
    await publishing;
    const atKill = await count();
    assert.ok(atKill < N, `killed too late (${atKill} rows)`);

    child = spawnProjector(broker.url, t.url);
    await waitFor(async () => (await count()) === N, { timeoutMs: 60_000, what: `${N} rows` });
    // Let redeliveries of already-committed batches (ack lost with the process) settle.
    await waitFor(async () => {
      const info = await nats.jsm.consumers.info("RESULTS", "backend_results_projector");
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, { timeoutMs: 30_000, what: "consumer drained" });
    const e =
      (await t.db.execute({ sql: "SELECT * FROM executions WHERE exec_id = ?", args: [execId] }))
        .rows[0];
    const failures = Math.floor((N - 1) / 7) + 1;
    assert.equal(await count(), N);
    assert.equal(
      Number(
        (await t.db.execute("SELECT COUNT(DISTINCT request_id) AS n FROM execution_results"))
          .rows[0].n,
      ),
      N,
    );
    assert.equal(e.failure_count, failures);
    assert.equal(e.success_count, N - failures);
    assert.equal(e.status, "completed");
  } finally {
    if (child) {
      child.kill("SIGKILL");
      await child.status;
    }
    await nats.close();
    await t.close();
    await broker.stop();
  }
});
