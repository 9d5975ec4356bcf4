/**
 * Scale-out under failure (issue 10). A 3-node JetStream cluster (replicas 3), two backend
 * OS processes (api + projectors + scheduler, `shared` projection mode, one libSQL file),
 * a simulated fleet on the server list, and a result flood (agents answering execs to all,
 * plus ExecResults published straight into RESULTS). Meanwhile the RESULTS stream leader
 * node is killed and restarted, and the backend process holding the scheduler lease is
 * SIGKILLed. Afterwards:
 *  - every result id anyone got acked is in execution_results, finished, once; each
 *    execution's counters equal its rows (no double counting across the two projectors);
 *  - the every-second schedule (starting_deadline 30 s) fired every tick exactly once
 *    across both processes, through the node kill and restart (read from the Commands: one
 *    per tick, named by its deadline_at), the SIGKILL included: claims the killed leader
 *    made but never finished are taken over by the survivor;
 *  - the surviving process answered every API probe throughout.
 * Then topology (b): a third process in `local` mode with its own empty DB rebuilds the same
 * rows from the streams on its own durables, without moving the shared durables.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import {
  assertResultsExactlyOnce,
  backendPostMortem,
  type BackendProcess,
  spawnBackend,
  startCluster,
  startProbes,
  startResultFlood,
  tapCommands,
  waitAllProjected,
  waitJetStreamReady,
} from "./helpers/cluster.ts";
import { tickReport } from "./helpers/ticks.ts";
import { waitFor } from "./helpers/backend.ts";
import { startFleet } from "../simulator/fleet.ts";
import { openDb } from "../db/client.ts";
import { BUCKET, CONSUMER, LEASE_KEY_SCHEDULER, STREAM, subjects } from "../wire/names.ts";
import { parseScheduleInput } from "../wire/schedule.ts";
import { scheduleJson } from "../wire/schedule_encode.ts";

const TOKEN = "scale-test-token-0123456789abcdef";
const AGENTS = 100;
const FLOOD_SECS = 24;
const FLOOD_PER_SEC = 120;
const LEASE_SECS = 3;
/** A KV read waits out a replica leader election (a few seconds) rather than failing. */
const PROBE_TIMEOUT_MS = 15_000;
/**
 * How long after a node dies a request may still fail: a replica leader election (a few
 * seconds on nats-server 2.9), and a request sent into it waits out the client's 10 s
 * JetStream timeout (lib/nats.ts) before the next one succeeds.
 */
const ELECTION_WINDOW_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function jobYaml(id: string, script: string): string {
  return `id: ${id}
version: 1.0.0
description: scale ${id}
execute:
  shell: powershell
  script: |
    ${script}
  timeout: 60s
`;
}

Deno.test({
  name: "scale: 3-node cluster, two backends, node and process failures, exactly-once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await startCluster({ size: 3 });
    const dir = await Deno.makeTempDir({ prefix: "kanade-scale-" });
    const dbUrl = `file:${dir}/shared.db`;
    const procs: BackendProcess[] = [];
    const taps: { stop(): Promise<void> }[] = [];
    let fleet: Awaited<ReturnType<typeof startFleet>> | null = null;
    const nc = await (async () => {
      await waitJetStreamReady(cluster.urls);
      return await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
    })();
    const db = await openDb({ url: dbUrl });
    const stepsOk: boolean[] = [];
    // Post-mortem: the backends' warnings and errors (their stores are removed below).
    const postMortem = () => backendPostMortem(procs);
    try {
      const common = {
        servers: cluster.urls,
        dbUrl,
        token: TOKEN,
        // KANADE_SCALE_LOG_DIR keeps the backends' logs (and KANADE_SCALE_LOG_LEVEL tunes them).
        logDir: Deno.env.get("KANADE_SCALE_LOG_DIR") ?? dir,
        env: {
          KANADE_LOG_LEVEL: Deno.env.get("KANADE_SCALE_LOG_LEVEL") ?? "warn",
          KANADE_SCHEDULER_LEASE_SECS: String(LEASE_SECS),
          KANADE_PROJECTOR_ACK_WAIT_SECS: "5",
        },
      };
      // One after the other: the first bootstraps JetStream and migrates, the second finds
      // everything in place (as a rolling deployment does).
      procs.push(await spawnBackend({ ...common, nodeId: "be1" }));
      procs.push(await spawnBackend({ ...common, nodeId: "be2" }));
      const [a, b] = procs;

      const js = jetstream(nc, { timeout: 5_000 });
      const jsm = await jetstreamManager(nc, { timeout: 5_000 });
      const kvm = new Kvm(js);
      const info = await jsm.streams.info(STREAM.results);
      assert.equal(info.config.num_replicas, 3, "RESULTS is replicated on all three nodes");

      for (const [id, script] of [["flood", "echo flood"], ["tick", "echo tick"]]) {
        const r = await a.request("/api/jobs", {
          method: "POST",
          headers: { "content-type": "application/yaml" },
          body: jobYaml(id, script),
        });
        assert.ok(r.ok, `register ${id}: ${r.status} ${await r.clone().text()}`);
        await r.body?.cancel();
      }

      fleet = await startFleet({
        natsUrl: cluster.urls.join(","),
        agents: AGENTS,
        connections: 4,
        heartbeatIntervalMs: 5_000,
        seed: 7,
      });
      await waitFor(async () => {
        const rs = await db.execute("SELECT COUNT(*) AS n FROM agents");
        return Number(rs.rows[0].n) === AGENTS;
      }, { timeoutMs: 20_000, what: "every agent projected as alive" });

      // The every-second schedule: one PC, so a fire is one Command; starting_deadline makes
      // the Command carry `deadline_at = tick + 30 s`, which names the tick it belongs to.
      const parsed = parseScheduleInput({
        id: "every-second",
        cron: "* * * * * *",
        job_id: "tick",
        target: { pcs: [fleet.pcIds[0]] },
        mode: "every_tick",
        starting_deadline: "30s",
        enabled: true,
      });
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const schedulesKv = await kvm.open(BUCKET.schedules, { bindOnly: true });
      const leasesKv = await kvm.open(BUCKET.leases, { bindOnly: true });
      const tap = await tapCommands(cluster.urls, subjects.commandsPc(fleet.pcIds[0]));
      taps.push(tap);
      await schedulesKv.put("every-second", scheduleJson(parsed.value));
      const scheduleStart = Date.now();

      // ---------------------------------------------------------------- chaos + flood
      const probing = startProbes(procs, ["/api/executions?limit=5", "/api/jobs"], {
        timeoutMs: PROBE_TIMEOUT_MS,
      });
      const flood = startResultFlood(js, fleet.pcIds, FLOOD_PER_SEC);

      const execIds: string[] = [];
      // Execs run beside the timeline (a stuck one must not delay the next fault); an
      // operator retries a failed exec, and every failure is kept for the report.
      const execFailures: string[] = [];
      const execs: Promise<void>[] = [];
      const exec = (p: BackendProcess) =>
        execs.push((async () => {
          for (let i = 0; i < 10 && p.running(); i++) {
            const at = Date.now();
            try {
              const r = await p.request("/api/exec/flood", {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ target: { all: true } }),
              });
              const text = await r.text();
              if (r.status === 200) return void execIds.push(JSON.parse(text).exec_id);
              execFailures.push(`${p.nodeId} +${rel(at)}s ${r.status} ${text}`);
            } catch (e) {
              if (!p.running()) return; // killed under the request: the operator moves on
              execFailures.push(`${p.nodeId} +${rel(at)}s ${e}`);
            }
            await sleep(1_000);
          }
        })());

      const t0 = Date.now();
      const events: Record<string, number> = { natsKill: t0 + 3_000 };
      const rel = (x: number) => ((x - events.natsKill) / 1000).toFixed(1);
      // A request sent just before the kill (the kill is timed after it left) hangs into it.
      const inElection = (at: number) =>
        at >= events.natsKill - 1_000 && at <= events.natsKill + ELECTION_WINDOW_MS;
      exec(a);
      await sleep(3_000);
      // Kill the node that leads RESULTS: the stream and its consumers elect a new leader.
      const leaderName = (await jsm.streams.info(STREAM.results)).cluster?.leader;
      const victim = cluster.nodes.find((n) => n.name === leaderName) ?? cluster.nodes[0];
      // For the report: did the victim also lead the scheduler's claim and lease streams?
      const kvLeaders: string[] = [];
      for (const bucket of [BUCKET.schedulerDispatch, BUCKET.leases]) {
        const l = await jsm.streams.info(`KV_${bucket}`).then((i) => i.cluster?.leader)
          .catch(() => "?");
        kvLeaders.push(`${bucket}: ${l === victim.name ? "victim" : l}`);
      }
      events.natsKill = Date.now();
      await victim.kill();
      await sleep(2_000);
      exec(b);
      await sleep(3_000);
      await victim.start();
      events.natsRestart = Date.now();
      await sleep(3_000);
      exec(a);
      await sleep(500);
      // SIGKILL the process that leads the scheduler (no lease release, batches in flight).
      const lease = await leasesKv.get(LEASE_KEY_SCHEDULER);
      const holder = lease ? JSON.parse(lease.string()).holder as string : "";
      const dead = procs.find((p) => holder.startsWith(`${p.nodeId}-`)) ?? a;
      const survivor = procs.find((p) => p !== dead)!;
      events.backendKill = Date.now();
      await dead.kill();
      exec(survivor);
      await sleep(Math.max(0, t0 + FLOOD_SECS * 1000 - Date.now()));
      exec(survivor);
      await flood.stop();
      await Promise.all(execs);

      // ---------------------------------------------------------------- settle
      // The schedule stops first: its runs' results must not arrive after the expected set
      // below was taken.
      await schedulesKv.delete("every-second");
      const scheduleEnd = Date.now();
      await sleep(1_500); // a tick in flight lands
      // The agents finish their runs; then every acked result must be projected.
      await waitFor(() => fleet!.stats().running === 0, { timeoutMs: 30_000, what: "runs done" });
      // Agents' outboxes may still be retrying: the expected set is re-read on every poll.
      const expected = await waitAllProjected(
        db,
        () => new Set([...flood.ids, ...fleet!.results().map((r) => r.result_id)]),
      );
      const probes = await probing.stop();

      stepsOk.push(
        await t.step("every result projected exactly once", async () => {
          const ids = await assertResultsExactlyOnce(db, expected);
          for (const id of execIds) {
            const n = Number(
              (await db.execute({
                sql: "SELECT COUNT(*) AS n FROM execution_results WHERE exec_id = ?",
                args: [id],
              })).rows[0].n,
            );
            assert.ok(n > 0, `exec ${id} has results`);
          }
          console.log(
            `results: ${ids.length} projected (${flood.ids.length} direct, ${
              ids.length - flood.ids.length
            } from agents); stream messages ${
              (await jsm.streams.info(STREAM.results)).state.messages
            }`,
          );
        }),
      );

      stepsOk.push(
        await t.step("every tick fired exactly once, through the node kill", async () => {
          // Every whole second from the first fire to the schedule's removal, the NATS node
          // kill and restart included: a leader whose lease lapsed (an election, a stalled
          // event loop) starts the ticks it passed over at its next wake as leader; claims
          // and fires retry inside the 30 s starting_deadline; a fire whose flush failed is
          // repeated as the same Command; the survivor catches up after the SIGKILL. With
          // two of three nodes up there is always a quorum, so no tick can legitimately
          // outlive its starting_deadline here.
          const cmds = tap.commands().filter((c) => c.id === "tick");
          const all = tickReport(cmds, 30_000, { first: 0, last: -1 });
          assert.ok(all.ticks.length >= 20, `fired ticks: ${all.ticks.length}`);
          const first = Math.max(all.ticks[0], Math.ceil(scheduleStart / 1000) * 1000);
          const last = Math.floor((scheduleEnd - 1_000) / 1000) * 1000;
          const { perTick, ticks, missing, doubled } = tickReport(cmds, 30_000, { first, last });
          assert.deepEqual(doubled, [], "no tick fired twice");
          // Executions in the DB: one per fired tick, none extra (a repeated Command keeps
          // the first attempt's row).
          const execs = Number(
            (await db.execute(
              "SELECT COUNT(*) AS n FROM executions WHERE job_id = 'tick'",
            )).rows[0].n,
          );
          assert.equal(execs, perTick.size, "one executions row per fired tick");
          console.log(
            `fired ticks (s rel. to node kill ${rel(events.natsKill)}, restart ${
              rel(events.natsRestart)
            }, backend kill ${rel(events.backendKill)}): ${ticks.map(rel).join(" ")}`,
          );
          console.log(`killed node ${victim.name} (RESULTS leader); ${kvLeaders.join(", ")}`);
          const inRange = ticks.filter((s) => s >= first && s <= last).length;
          console.log(
            `ticks: ${inRange} of ${
              (last - first) / 1000 + 1
            } fired once (${ticks.length} in all); missed: ${missing.map(rel).join(" ") || "none"}`,
          );
          // None lost, the SIGKILL included: the survivor takes over the claims the killed
          // leader made but never finished, and fires them as the same Commands.
          assert.deepEqual(
            missing.map((m) => `${new Date(m).toISOString()} (${rel(m)} s)`),
            [],
            "ticks missed",
          );
        }),
      );

      stepsOk.push(
        await t.step("execs: refused at most while a replica leader is elected", () => {
          // Known: a KV/stream request that hits the election waits out the client's 10 s
          // JetStream timeout and the router maps that TimeoutError to 500 (should be 503).
          if (execFailures.length) console.log(`exec retries: ${execFailures.join("; ")}`);
          const outside = execFailures.filter((f) => {
            const at = Number(/ \+(-?[\d.]+)s /.exec(f)?.[1]) * 1000 + events.natsKill;
            return !inElection(at);
          });
          assert.deepEqual(outside, [], "exec failures outside the election window");
          assert.ok(execIds.length >= 4, `execs through: ${execIds.length}`);
        }),
      );

      stepsOk.push(
        await t.step("the surviving process answered throughout", () => {
          const bad = probes.filter((p) => p.node === survivor.nodeId && !p.ok);
          const mine = probes.filter((p) => p.node === survivor.nodeId);
          const asked = mine.length;
          for (const path of ["/api/executions", "/api/jobs"]) {
            const ms = mine.filter((p) => p.detail.startsWith(path)).map((p) => p.ms);
            const slow = mine.filter((p) => p.detail.startsWith(path) && p.ms > 1000)
              .map((p) => `${((p.at - events.natsKill) / 1000).toFixed(1)}s:${p.ms}ms`);
            console.log(
              `probes ${path}: ${ms.length}, max ${
                Math.max(...ms)
              } ms; >1s (t rel. to node kill): ${slow.join(" ") || "none"}`,
            );
          }
          assert.ok(asked > 40, `survivor probed ${asked} times`);
          // Every probe got an HTTP answer; DB reads never failed; KV-backed reads may fail
          // only while a replica leader is elected (see the exec step).
          const unanswered = mine.filter((p) => p.ms < 0);
          assert.deepEqual(unanswered.slice(0, 5), [], "probes without an answer");
          const dbFailed = bad.filter((p) => p.detail.startsWith("/api/executions"));
          assert.deepEqual(dbFailed.slice(0, 5), [], "DB-backed reads failed");
          const kvOutside = bad.filter((p) => !inElection(p.at));
          assert.deepEqual(
            kvOutside.slice(0, 5).map((p) => ({
              ...p,
              rel: rel(p.at),
              restart: rel(events.natsRestart),
              backendKill: rel(events.backendKill),
            })),
            [],
            "KV-backed reads failed outside election",
          );
          if (bad.length) console.log(`answered with an error during the election: ${bad.length}`);
        }),
      );

      stepsOk.push(
        await t.step("topology (b): a local-mode node rebuilds from the streams", async () => {
          const sharedBefore = await jsm.consumers.info(STREAM.results, CONSUMER.results);
          // SSE fan-out across processes: the surviving API relays the change notices the
          // new node's projector publishes, although its own projector has nothing to do.
          const sse = new AbortController();
          let notices = 0;
          const sseRes = await survivor.request("/api/events/stream?kinds=result", {
            signal: sse.signal,
          });
          assert.equal(sseRes.status, 200, "SSE stream opens");
          const reading = (async () => {
            const td = new TextDecoder();
            try {
              for await (const chunk of sseRes.body!) {
                notices += td.decode(chunk).split("\n").filter((l) => l === "event: result")
                  .length;
              }
            } catch { /* aborted */ }
          })();
          const localUrl = `file:${dir}/local_n3.db`;
          const local = await spawnBackend({
            servers: cluster.urls,
            dbUrl: localUrl,
            nodeId: "n3",
            token: TOKEN,
            logDir: dir,
            args: ["--projectors", "--only", "results,events,audit"],
            env: { KANADE_PROJECTION_MODE: "local" },
            waitHealthy: false,
          });
          procs.push(local);
          const ldb = await openDb({ url: localUrl });
          try {
            const want = (await db.execute(
              `SELECT result_id, pc_id, exit_code, stdout, finished_at, recorded_at
               FROM execution_results ORDER BY result_id`,
            )).rows.map((r) => JSON.stringify(r));
            await waitFor(async () => {
              const rs = await ldb.execute("SELECT COUNT(*) AS n FROM execution_results")
                .catch(() => null);
              return rs && Number(rs.rows[0].n) >= want.length;
            }, { timeoutMs: 60_000, intervalMs: 250, what: "local rebuild" });
            const got = (await ldb.execute(
              `SELECT result_id, pc_id, exit_code, stdout, finished_at, recorded_at
               FROM execution_results ORDER BY result_id`,
            )).rows.map((r) => JSON.stringify(r));
            assert.deepEqual(got, want, "same rows as the shared read model");
            const auditShared = Number(
              (await db.execute("SELECT COUNT(*) AS n FROM audit_log")).rows[0].n,
            );
            await waitFor(
              async () =>
                Number((await ldb.execute("SELECT COUNT(*) AS n FROM audit_log")).rows[0].n) >=
                  auditShared,
              { timeoutMs: 20_000, what: "local audit rebuild" },
            );
            await waitFor(() => notices > 0, { timeoutMs: 10_000, what: "SSE result notices" });
            sse.abort();
            await reading;
            // Its own durable; the shared one did not move.
            const own = await jsm.consumers.info(STREAM.results, `${CONSUMER.results}_n3`);
            assert.equal(own.num_pending, 0);
            const sharedAfter = await jsm.consumers.info(STREAM.results, CONSUMER.results);
            assert.equal(sharedAfter.delivered.stream_seq, sharedBefore.delivered.stream_seq);
          } finally {
            ldb.close();
          }
        }),
      );
      if (!stepsOk.every(Boolean)) {
        await postMortem();
        throw new Error("a step failed (backend warnings above)");
      }
    } catch (e) {
      await postMortem();
      throw e;
    } finally {
      await fleet?.stop().catch(() => {});
      for (const tp of taps) await tp.stop();
      for (const p of procs) await p.stop(5_000).catch(() => {});
      db.close();
      await nc.close().catch(() => {});
      await cluster.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
