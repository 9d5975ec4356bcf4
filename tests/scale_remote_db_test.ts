/**
 * Topology (a) on a real libSQL server (issue 10). A 3-node JetStream cluster (replicas 3),
 * one sqld requiring a JWT, and two backend OS processes (api + projectors + scheduler,
 * `shared` projection mode) both writing to it through KANADE_DB_URL=http://… with
 * KANADE_DB_AUTH_TOKEN. A simulated fleet heartbeats and answers execs while ExecResults
 * are flooded straight into RESULTS; one backend is SIGKILLed mid-flood. Afterwards:
 *  - every acked result is in the shared DB, once; execution counters equal their rows;
 *    no projection rejects; every agent's heartbeat row exists once (queue group);
 *  - the survivor answered every DB-backed probe throughout;
 *  - a backend restarted on the same DB (a crashed host coming back) migrates as a no-op
 *    and answers the same reads as the survivor;
 *  - a process with a wrong token is refused at start, with the server's 401 in its log.
 * And: a sqld restart while results arrive is waited out (API 503 meanwhile, redelivery
 * after), never treated as poison.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import {
  assertResultsExactlyOnce,
  backendPostMortem,
  type BackendProcess,
  clusterResult,
  spawnBackend,
  startCluster,
  startProbes,
  startResultFlood,
  waitAllProjected,
  waitJetStreamReady,
} from "./helpers/cluster.ts";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { startSqld } from "./helpers/sqld.ts";
import { startFleet } from "../simulator/fleet.ts";
import { openDb } from "../db/client.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { subjects } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";

const TOKEN = "remote-db-test-token-0123456789ab";
const AGENTS = 60;
const FLOOD_SECS = 14;
const FLOOD_PER_SEC = 150;
const KILL_AFTER_MS = 6_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const JOB = `id: flood
version: 1.0.0
description: remote db flood
execute:
  shell: powershell
  script: |
    echo flood
  timeout: 60s
`;

Deno.test({
  name: "topology (a): two backends share one sqld; SIGKILL one mid-flood; exactly once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await startCluster({ size: 3 });
    const dir = await Deno.makeTempDir({ prefix: "kanade-remote-db-" });
    const sqld = await startSqld({ auth: true, logFile: `${dir}/sqld.log` });
    const procs: BackendProcess[] = [];
    let fleet: Awaited<ReturnType<typeof startFleet>> | null = null;
    await waitJetStreamReady(cluster.urls);
    const nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
    const db = await openDb({ url: sqld.url, authToken: sqld.authToken });
    const stepsOk: boolean[] = [];
    try {
      const common = {
        servers: cluster.urls,
        dbUrl: sqld.url,
        dbAuthToken: sqld.authToken,
        token: TOKEN,
        logDir: Deno.env.get("KANADE_SCALE_LOG_DIR") ?? dir,
        env: {
          KANADE_LOG_LEVEL: Deno.env.get("KANADE_SCALE_LOG_LEVEL") ?? "warn",
          KANADE_PROJECTOR_ACK_WAIT_SECS: "5",
          KANADE_SCHEDULER_LEASE_SECS: "3",
        },
      };
      // Started together: both migrate the empty remote DB at once (each migration is a
      // write transaction that re-checks `_migrations`).
      procs.push(
        ...await Promise.all([
          spawnBackend({ ...common, nodeId: "be1" }),
          spawnBackend({ ...common, nodeId: "be2" }),
        ]),
      );
      const [a, b] = procs;
      const migrations = (await db.execute("SELECT name FROM _migrations")).rows.map((r) => r.name);
      assert.ok(migrations.length > 0, "migrations recorded on the server");
      assert.equal(new Set(migrations).size, migrations.length, "each migration once");

      stepsOk.push(
        await t.step("a wrong token is refused at start", async () => {
          const err = await spawnBackend({ ...common, dbAuthToken: "not-a-jwt", nodeId: "bad" })
            .then((p) => {
              procs.push(p);
              return null;
            }, (e: Error) => e);
          assert.ok(err, "a backend with a bad DB token started");
          assert.match(err.message, /401|unauthori[sz]ed/i, err.message.slice(-500));
        }),
      );

      const reg = await a.request("/api/jobs", {
        method: "POST",
        headers: { "content-type": "application/yaml" },
        body: JOB,
      });
      assert.ok(reg.ok, `register job: ${reg.status} ${await reg.clone().text()}`);
      await reg.body?.cancel();

      fleet = await startFleet({
        natsUrl: cluster.urls.join(","),
        agents: AGENTS,
        connections: 2,
        heartbeatIntervalMs: 3_000,
        seed: 11,
      });
      await waitFor(async () => {
        const rs = await db.execute("SELECT COUNT(*) AS n FROM agents");
        return Number(rs.rows[0].n) === AGENTS;
      }, { timeoutMs: 30_000, what: "every agent projected" });

      // ------------------------------------------------------------ flood + SIGKILL
      const probing = startProbes(procs, [
        "/api/executions?limit=5",
        "/api/results?limit=5",
        "/api/agents?limit=5",
      ], { intervalMs: 200 });
      const flood = startResultFlood(jetstream(nc, { timeout: 5_000 }), fleet.pcIds, FLOOD_PER_SEC);

      const execIds: string[] = [];
      const execOn = async (p: BackendProcess) => {
        const r = await p.request("/api/exec/flood", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ target: { all: true } }),
        });
        const text = await r.text();
        assert.equal(r.status, 200, `exec on ${p.nodeId}: ${text}`);
        execIds.push(JSON.parse(text).exec_id);
      };
      const t0 = Date.now();
      await execOn(a);
      await sleep(KILL_AFTER_MS / 2);
      await execOn(b);
      await sleep(Math.max(0, t0 + KILL_AFTER_MS - Date.now()));
      const applied = Number(
        (await db.execute("SELECT COUNT(*) AS n FROM execution_results")).rows[0].n,
      );
      await a.kill(); // no drain, no ack of its batch in flight
      const survivor = b;
      await execOn(survivor);
      await sleep(Math.max(0, t0 + FLOOD_SECS * 1000 - Date.now()));
      await flood.stop();

      // ------------------------------------------------------------ settle
      await waitFor(() => fleet!.stats().running === 0, { timeoutMs: 30_000, what: "runs done" });
      const expected = await waitAllProjected(
        db,
        () => new Set([...flood.ids, ...fleet!.results().map((r) => r.result_id)]),
        90_000,
      );
      const probes = await probing.stop();

      stepsOk.push(
        await t.step("every result in the shared DB exactly once", async () => {
          const ids = await assertResultsExactlyOnce(db, expected);
          for (const id of execIds) {
            const rs = await db.execute({
              sql: "SELECT COUNT(*) AS n FROM execution_results WHERE exec_id = ?",
              args: [id],
            });
            assert.equal(Number(rs.rows[0].n), AGENTS, `exec ${id}: one result per agent`);
          }
          const rejects = (await db.execute("SELECT * FROM projection_rejects")).rows;
          assert.deepEqual(rejects, [], "nothing set aside");
          const agents = (await db.execute("SELECT COUNT(*) AS n FROM agents")).rows[0].n;
          assert.equal(Number(agents), AGENTS, "one agents row per agent");
          console.log(
            `results: ${ids.length} (${flood.ids.length} direct, ${
              ids.length - flood.ids.length
            } from agents); ${applied} applied before the SIGKILL`,
          );
        }),
      );

      stepsOk.push(
        await t.step("the survivor answered every probe", () => {
          const mine = probes.filter((p) => p.node === survivor.nodeId);
          const bad = mine.filter((p) => !p.ok);
          const max = Math.max(...mine.map((p) => p.ms));
          console.log(`survivor probes: ${mine.length}, max ${max} ms, failed ${bad.length}`);
          assert.ok(mine.length > 30, `survivor probed ${mine.length} times`);
          assert.deepEqual(bad.slice(0, 5), [], "survivor probes failed");
        }),
      );

      stepsOk.push(
        await t.step("a restarted backend reads the same as the survivor", async () => {
          const back = await spawnBackend({ ...common, nodeId: "be1-back" });
          procs.push(back);
          const read = async (p: BackendProcess, path: string) => {
            const r = await p.request(path);
            const body = await r.text();
            assert.equal(r.status, 200, `${p.nodeId} ${path}: ${body}`);
            return { body: JSON.parse(body), total: r.headers.get("x-total-count") };
          };
          for (const id of execIds) {
            const [x, y] = await Promise.all(
              [survivor, back].map((p) => read(p, `/api/executions/${id}`)),
            );
            assert.deepEqual(x.body, y.body, `execution ${id} reads alike`);
          }
          const sample = [...expected].slice(0, 25);
          for (const id of sample) {
            const [x, y] = await Promise.all(
              [survivor, back].map((p) => read(p, `/api/results/${id}`)),
            );
            assert.deepEqual(x.body, y.body, `result ${id} reads alike`);
          }
          const [ax, ay] = await Promise.all(
            [survivor, back].map((p) => read(p, `/api/agents?limit=1000`)),
          );
          assert.equal(ax.total, String(AGENTS));
          assert.equal(ay.total, ax.total, "agent totals alike");
          // The comeback neither replays nor doubles anything.
          await sleep(2_000);
          const n = Number(
            (await db.execute("SELECT COUNT(*) AS n FROM execution_results")).rows[0].n,
          );
          assert.equal(n, expected.size, "no rows added by the restarted backend");
        }),
      );
      if (!stepsOk.every(Boolean)) {
        await backendPostMortem(procs);
        throw new Error("a step failed (backend warnings above)");
      }
    } catch (e) {
      await backendPostMortem(procs);
      throw e;
    } finally {
      await fleet?.stop().catch(() => {});
      for (const p of procs) await p.stop(5_000).catch(() => {});
      db.close();
      await nc.close().catch(() => {});
      await sqld.stop();
      await cluster.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "topology (a): a sqld restart mid-projection is waited out, not set aside",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const sqld = await startSqld();
    const be = await startTestBackend({
      dbUrl: sqld.url,
      projectors: ["results"],
      env: { KANADE_REQUEST_TIMEOUT_MS: "5000" },
    });
    try {
      const publish = async (tag: string, n: number) => {
        for (let i = 0; i < n; i++) {
          const r = { ...clusterResult("restart-pc", i), result_id: `${tag}-${i}` };
          await be.deps.nats.js.publish(
            subjects.results(r.request_id),
            jsonBytes(
              encodeExecResult(r),
            ),
          );
        }
      };
      const count = async () =>
        Number((await be.deps.db.execute("SELECT COUNT(*) AS n FROM execution_results")).rows[0].n);
      await publish("before", 100);
      await waitFor(async () => await count() === 100, { what: "results before the restart" });

      await sqld.kill();
      await publish("during", 100);
      // Longer than MAX_DELIVERIES nak delays: an unreachable server must not make the
      // engine isolate and set aside messages that are not bad.
      await sleep(7_000);
      const res = await be.request("/api/executions?limit=5");
      const body = await res.text();
      assert.equal(res.status, 503, `API while the DB is down: ${body}`);
      assert.match(body, /database unavailable/);
      await sqld.start();

      await publish("after", 100);
      await waitFor(async () => await count() === 300, {
        timeoutMs: 60_000,
        what: "every result after the restart",
      });
      const rejects = (await be.deps.db.execute("SELECT reason FROM projection_rejects")).rows;
      assert.deepEqual(rejects, [], "nothing set aside");
      const res2 = await be.request("/api/executions?limit=5");
      await res2.body?.cancel();
      assert.equal(res2.status, 200, "API back once the server is");
    } finally {
      await be.stop();
      await sqld.stop();
    }
  },
});
