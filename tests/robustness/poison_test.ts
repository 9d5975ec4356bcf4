/**
 * Poison messages of every message type on every projected subject, with the projectors
 * running: garbage bytes, wrong JSON shapes, edge values and every OTHER message type.
 * The stream keeps flowing (good messages published before and after land), JetStream
 * poison is set aside in `projection_rejects` (nothing silently lost, consumers drain),
 * and core-NATS poison never takes its good window-neighbours down with it.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "../helpers/backend.ts";
import {
  encodeAuditEvent,
  encodeEventStarted,
  encodeExecResult,
  encodeHeartbeat,
} from "../../wire/messages.ts";
import { encodeObsEvent } from "../../wire/obs.ts";
import { encodeHostPerf, encodeProcessPerf } from "../../wire/perf.ts";
import { STREAM, subjects } from "../../wire/names.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { nowWire } from "../../wire/time.ts";
import { durableName } from "../../projectors/mod.ts";
import { recordFigures } from "./report_sink.ts";

const te = new TextEncoder();
const j = (v: unknown) => te.encode(JSON.stringify(v));

/** One valid message of every type (sent cross-subject as poison, and as the good ones). */
function samples(tag: string) {
  const at = nowWire();
  return {
    result: jsonBytes(encodeExecResult({
      result_id: `${tag}-res`,
      request_id: `${tag}-req`,
      exec_id: null,
      pc_id: `${tag}-pc`,
      exit_code: 0,
      stdout: "ok",
      stderr: "",
      started_at: at,
      finished_at: at,
    })),
    started: jsonBytes(encodeEventStarted({
      result_id: `${tag}-started`,
      request_id: `${tag}-sreq`,
      exec_id: `${tag}-exec`,
      pc_id: `${tag}-pc`,
      started_at: at,
      manifest_id: `${tag}-job`,
      version: "1.0.0",
    })),
    audit: jsonBytes(encodeAuditEvent({
      actor: "operator",
      action: `${tag}_action`.replace(/-/g, "_"),
      target: `${tag}-target`,
      payload: { k: 1 },
      occurred_at: at,
    })),
    obs: jsonBytes(encodeObsEvent({
      pc_id: `${tag}-pc`,
      at,
      kind: `${tag}-kind`,
      source: "security",
      event_record_id: `${tag}-1`,
      payload: { user: "x" },
    })),
    heartbeat: jsonBytes(
      encodeHeartbeat({ pc_id: `${tag}-pc`, at, agent_version: "1.0.0", hostname: `${tag}-host` }),
    ),
    hostPerf: jsonBytes(
      encodeHostPerf({ pc_id: `${tag}-pc`, at, cpu_pct: 12.5, mem_used_bytes: 1024 }),
    ),
    processPerf: jsonBytes(encodeProcessPerf({
      pc_id: `${tag}-pc`,
      at,
      processes: [{ pid: 4, name: "System", cpu_pct: 1, rss_bytes: 100 }],
    })),
  };
}

/** Payloads no decoder may accept, whatever the subject. */
const GARBAGE: Uint8Array[] = [
  new Uint8Array(0),
  te.encode("null"),
  te.encode("[]"),
  te.encode("{"),
  te.encode('"just a string"'),
  te.encode("42"),
  new Uint8Array([0xff, 0xfe, 0x00, 0x7b, 0x22]),
  te.encode("{}"),
  te.encode("[".repeat(20_000)),
  te.encode(`{"pc_id": 5, "at": [], "result_id": {}, "actor": null}`),
  te.encode(`{"pc_id":"p","at":"not a date","request_id":"r","exit_code":1.5}`),
  te.encode(`{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}`),
];

/** Own-type edge values: may be projected or set aside, but must not stall anything. */
function edges(kind: string): Uint8Array[] {
  const at = nowWire();
  const long = "p".repeat(10_000);
  switch (kind) {
    case "results":
      return [
        j({
          result_id: "",
          request_id: "e",
          pc_id: "e",
          exit_code: 1e400,
          stdout: "",
          stderr: "",
          started_at: at,
          finished_at: at,
        }),
        j({
          result_id: "edge-r1",
          request_id: "e",
          pc_id: long,
          exit_code: 2 ** 62,
          stdout: "x".repeat(200_000),
          stderr: "\u0000",
          started_at: at,
          finished_at: "9999-12-31T23:59:59.999999999Z",
        }),
        j({
          result_id: "edge-r2",
          request_id: "e",
          pc_id: "e",
          exit_code: -1,
          stdout: "",
          stderr: "",
          started_at: "0001-01-01T00:00:00Z",
          finished_at: at,
          stdout_object: "no/such/object",
        }),
      ];
    case "started":
      return [
        j({
          result_id: "edge-s1",
          request_id: "e",
          exec_id: "e",
          pc_id: long,
          started_at: "2026-02-30T00:00:00Z",
          manifest_id: "m",
          version: "v",
        }),
      ];
    case "audit":
      return [
        j({
          actor: "a",
          action: "b",
          target: null,
          payload: { deep: [[[[[[[[[[1]]]]]]]]]] },
          occurred_at: "2026-11-22T10:00:00+09:00",
        }),
      ];
    case "obs":
      return [
        j({
          pc_id: "e",
          at,
          kind: "k",
          source: "s",
          event_record_id: null,
          payload: "not an object",
        }),
      ];
    case "heartbeat":
      return [j({ pc_id: long, at: "2026-11-22T23:59:60Z", agent_version: "" })];
    case "hostPerf":
      return [
        j({
          pc_id: "edge-hp",
          at: "2026-11-22T10:00:00.123456789+14:00",
          cpu_pct: -1,
          mem_used_bytes: 2 ** 63,
        }),
      ];
    default:
      return [
        j({ pc_id: "edge-pp", at, processes: [{ pid: -1, name: "", cpu_pct: 0, rss_bytes: 0 }] }),
      ];
  }
}

interface Target {
  kind: keyof ReturnType<typeof samples>;
  subject: (tag: string) => string;
  stream?: string;
  durable?: string;
  landed: (be: TestBackend, tag: string) => Promise<boolean>;
}

const one = async (be: TestBackend, sql: string, arg: string) =>
  (await be.deps.db.execute({ sql, args: [arg] })).rows.length === 1;

Deno.test({
  name: "poison: every message type on every projected subject; the streams keep flowing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const be = await startTestBackend({ projectors: true });
    try {
      const targets: Target[] = [
        {
          kind: "result",
          subject: (t) => subjects.results(`${t}-req`),
          stream: STREAM.results,
          durable: durableName(be.deps, "results"),
          landed: (be, t) =>
            one(be, "SELECT 1 FROM execution_results WHERE result_id = ?", `${t}-res`),
        },
        {
          kind: "started",
          subject: (t) => subjects.eventsStarted(`${t}-exec`, `${t}-pc`),
          stream: STREAM.events,
          durable: durableName(be.deps, "events"),
          landed: (be, t) =>
            one(be, "SELECT 1 FROM execution_results WHERE result_id = ?", `${t}-started`),
        },
        {
          kind: "audit",
          subject: (t) => subjects.audit("operator", `${t}_action`.replace(/-/g, "_")),
          stream: STREAM.audit,
          durable: durableName(be.deps, "audit"),
          landed: (be, t) =>
            one(be, "SELECT 1 FROM audit_log WHERE action = ?", `${t}_action`.replace(/-/g, "_")),
        },
        {
          kind: "obs",
          subject: (t) => subjects.obs(`${t}-pc`),
          stream: STREAM.obsEvents,
          durable: durableName(be.deps, "obs"),
          landed: (be, t) => one(be, "SELECT 1 FROM obs_events WHERE kind = ?", `${t}-kind`),
        },
        {
          kind: "heartbeat",
          subject: (t) => subjects.heartbeat(`${t}-pc`),
          landed: (be, t) => one(be, "SELECT 1 FROM agents WHERE pc_id = ?", `${t}-pc`),
        },
        {
          kind: "hostPerf",
          subject: (t) => subjects.hostPerf(`${t}-pc`),
          landed: (be, t) => one(be, "SELECT 1 FROM host_perf_samples WHERE pc_id = ?", `${t}-pc`),
        },
        {
          kind: "processPerf",
          subject: (t) => subjects.processPerf(`${t}-pc`),
          landed: (be, t) =>
            one(be, "SELECT 1 FROM process_perf_samples WHERE pc_id = ? LIMIT 1", `${t}-pc`),
        },
      ];
      let poisonSent = 0;
      let goodSent = 0;
      const garbageSeqs: Record<string, number[]> = {};
      const publish = async (t: Target, subject: string, data: Uint8Array) => {
        if (t.stream) return (await be.deps.nats.js.publish(subject, data)).seq;
        be.deps.nats.nc.publish(subject, data);
        return 0;
      };
      for (const t of targets) {
        const before = samples(`pz-before-${t.kind}`);
        const after = samples(`pz-after-${t.kind}`);
        await publish(t, t.subject(`pz-before-${t.kind}`), before[t.kind]);
        goodSent++;
        for (const g of GARBAGE) {
          const seq = await publish(t, t.subject("pz-garbage"), g);
          if (t.stream) (garbageSeqs[t.stream] ??= []).push(seq);
          poisonSent++;
        }
        const cross = samples("pz-cross");
        for (const [k, v] of Object.entries(cross)) {
          if (k === t.kind) continue;
          await publish(t, t.subject("pz-cross"), v);
          poisonSent++;
        }
        for (const e of edges(t.kind)) {
          await publish(t, t.subject("pz-edge"), e);
          poisonSent++;
        }
        await publish(t, t.subject(`pz-after-${t.kind}`), after[t.kind]);
        goodSent++;
      }
      await be.deps.nats.nc.flush();

      const missing = async () => {
        const out: string[] = [];
        for (const t of targets) {
          for (const tag of [`pz-before-${t.kind}`, `pz-after-${t.kind}`]) {
            if (!(await t.landed(be, tag))) out.push(`${t.kind}:${tag}`);
          }
        }
        return out;
      };
      let lastMissing: string[] = [];
      await waitFor(async () => (lastMissing = await missing()).length === 0, {
        timeoutMs: 20_000,
        what: "good messages around the poison",
      }).catch((e) => {
        throw new Error(`${(e as Error).message}; not landed: ${lastMissing.join(", ")}`);
      });

      // JetStream: the consumers drain (nothing stuck redelivering) and every garbage
      // message is recorded as set aside.
      for (const t of targets.filter((t) => t.stream)) {
        await waitFor(async () => {
          const ci = await be.deps.nats.jsm.consumers.info(t.stream!, t.durable!);
          return ci.num_pending === 0 && ci.num_ack_pending === 0;
        }, { timeoutMs: 15_000, what: `${t.durable} drained` });
      }
      let lost = 0;
      for (const [stream, seqs] of Object.entries(garbageSeqs)) {
        const rs = await be.deps.db.execute({
          sql: `SELECT stream_seq FROM projection_rejects WHERE stream = ? AND stream_seq IN (${
            seqs.map(() => "?").join(",")
          })`,
          args: [stream, ...seqs],
        });
        const got = new Set(rs.rows.map((r) => Number(r.stream_seq)));
        const notRecorded = seqs.filter((s) => !got.has(s));
        lost += notRecorded.length;
        assert.deepEqual(notRecorded, [], `${stream}: garbage not recorded in projection_rejects`);
      }
      const rejects = await be.deps.db.execute("SELECT COUNT(*) AS n FROM projection_rejects");
      // The API still answers and the process is alive.
      assert.equal((await be.request("/health")).status, 200);
      await recordFigures({
        suite: "poison",
        faultsInjected: poisonSent,
        messagesSent: goodSent,
        messagesLost: lost,
        duplicates: 0,
        notes: `${poisonSent} poison messages on 7 subjects (${
          Object.values(garbageSeqs).flat().length
        } garbage on JetStream, all set aside; ${
          rejects.rows[0].n
        } rows in projection_rejects); ${goodSent} good messages before/after all landed`,
      });
    } finally {
      await be.stop();
    }
  },
});
