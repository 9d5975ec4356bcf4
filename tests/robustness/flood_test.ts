/**
 * Fault: the broker is SIGKILLed and restarted in the middle of a result flood, and a
 * share of the results is published twice (an agent re-sending after a lost ack). After
 * it returns, every result is in the DB exactly once and the parent execution counted
 * each exactly once (success + failure = N, split as published).
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "../helpers/backend.ts";
import { encodeExecResult } from "../../wire/messages.ts";
import { subjects } from "../../wire/names.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { nowDb, nowWire } from "../../wire/time.ts";
import { recordFigures } from "./report_sink.ts";

const N = Number(Deno.env.get("KANADE_FLOOD_N") ?? 2000);
const DUP_EVERY = 20; // every 20th result is published twice
const CONCURRENCY = 16;
const EXEC = "flood-exec";

Deno.test({
  name:
    `flood: ${N} results, broker SIGKILL + restart mid-flood, re-sent duplicates → exactly once`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const be = await startTestBackend({ projectors: ["results"] });
    try {
      await be.deps.db.execute({
        sql:
          `INSERT INTO executions (exec_id, job_id, version, initiated_by, initiated_at, target_count, status)
              VALUES (?, 'flood-job', '1.0.0', 'operator', ?, ?, 'running')`,
        args: [EXEC, nowDb(), N],
      });
      const payload = (i: number) =>
        jsonBytes(encodeExecResult({
          result_id: `flood-${i}`,
          request_id: `flood-req-${i}`,
          exec_id: EXEC,
          pc_id: `flood-pc-${i}`,
          exit_code: i % 7 === 0 ? 3 : 0,
          stdout: `line ${i}`,
          stderr: "",
          started_at: nowWire(),
          finished_at: nowWire(),
        }));
      let publishRetries = 0;
      const publish = async (i: number) => {
        const until = Date.now() + 30_000;
        while (true) {
          try {
            await be.deps.nats.js.publish(subjects.results(`flood-req-${i}`), payload(i), {
              timeout: 2_000,
            });
            return;
          } catch (e) {
            // Like an agent's outbox: keep it and try again (a lost ack means a duplicate).
            if (Date.now() > until) throw e;
            publishRetries++;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      };
      const order = Array.from({ length: N }, (_, i) => i);
      for (let i = 0; i < N; i += DUP_EVERY) order.push(i);
      let next = 0;
      let restart: Promise<void> | null = null;
      const worker = async () => {
        while (next < order.length) {
          const k = next++;
          if (k === Math.floor(order.length / 3) && !restart) {
            restart = be.broker.restart({ downMs: 1_500 });
          }
          await publish(order[k]);
        }
      };
      const t0 = Date.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await restart;
      const published = order.length;

      const counts = await waitFor(async () => {
        const rs = await be.deps.db.execute({
          sql: `SELECT (SELECT COUNT(*) FROM execution_results WHERE exec_id = ?1) AS rows_n,
                       (SELECT COUNT(DISTINCT result_id) FROM execution_results WHERE exec_id = ?1) AS distinct_n,
                       success_count, failure_count
                FROM executions WHERE exec_id = ?1`,
          args: [EXEC],
        });
        const r = rs.rows[0];
        return Number(r.rows_n) >= N && Number(r.success_count) + Number(r.failure_count) >= N
          ? r
          : null;
      }, { timeoutMs: 60_000, intervalMs: 200, what: `all ${N} results projected` });
      // Give late redeliveries a moment to (wrongly) count twice before checking.
      await new Promise((r) => setTimeout(r, 1_500));
      const final = (await be.deps.db.execute({
        sql: "SELECT success_count, failure_count FROM executions WHERE exec_id = ?",
        args: [EXEC],
      })).rows[0];
      const wantFail = order.slice(0, N).filter((i) => i % 7 === 0).length;
      assert.equal(Number(counts.rows_n), N, "one row per result");
      assert.equal(Number(counts.distinct_n), N);
      assert.equal(Number(final.failure_count), wantFail, "failures counted once each");
      assert.equal(Number(final.success_count), N - wantFail, "successes counted once each");
      const rejects = await be.deps.db.execute(
        "SELECT COUNT(*) AS n FROM projection_rejects WHERE subject LIKE 'results.flood-req-%'",
      );
      assert.equal(Number(rejects.rows[0].n), 0);
      await recordFigures({
        suite: "flood_broker_restart",
        faultsInjected: 1 + (published - N),
        messagesSent: published,
        messagesLost: N - Number(counts.distinct_n),
        duplicates: Number(final.success_count) + Number(final.failure_count) - N,
        notes: `${N} results (+${
          published - N
        } re-sent), broker SIGKILL+restart (1.5 s down) mid-flood, ${publishRetries} publish retries, ${
          Date.now() - t0
        } ms`,
      });
    } finally {
      await be.stop();
    }
  },
});
