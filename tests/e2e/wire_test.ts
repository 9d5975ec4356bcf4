/**
 * The simulated agents' JSON on the wire is upstream's: every message captured off the broker
 * decodes with the wire schemas and re-encodes to the identical bytes, its keys come in the
 * order of the protocol.md examples, and the examples themselves round-trip byte for byte.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../helpers/nats_server.ts";
import { waitFor } from "../helpers/backend.ts";
import { connectNats } from "../../lib/nats.ts";
import { setupJetStream } from "../../lib/jetstream_setup.ts";
import { BUCKET, STDOUT_INLINE_THRESHOLD, SUBJECT, subjects } from "../../wire/names.ts";
import {
  encodeCommand,
  encodeEventStarted,
  encodeExecResult,
  encodeHeartbeat,
  EventStartedSchema,
  EXEC_RESULT_FIELDS,
  ExecResultSchema,
  HeartbeatSchema,
} from "../../wire/messages.ts";
import { startFleet } from "../../simulator/fleet.ts";
import { wireTs } from "../../wire/time.ts";

const td = new TextDecoder();

// protocol.md §4.2–§4.4 examples, verbatim (one line each).
const EXAMPLE_RESULT =
  '{"result_id":"9b2f…","request_id":"5f0c8a4e-…","exec_id":"3c3c56b3-…","pc_id":"PC1234","exit_code":0,"stdout":"{\\"hostname\\":\\"PC1234\\"}\\n","stderr":"","started_at":"2026-06-20T00:00:05.120Z","finished_at":"2026-06-20T00:00:07.004Z","manifest_id":"inventory-hw"}';
const EXAMPLE_STARTED =
  '{"result_id":"9b2f…","request_id":"5f0c8a4e-…","exec_id":"3c3c56b3-…","pc_id":"PC1234","started_at":"2026-06-20T00:00:05.120Z","manifest_id":"inventory-hw","version":"1.0.0"}';
const EXAMPLE_HEARTBEAT =
  '{"pc_id":"PC1234","at":"2026-06-20T00:00:30Z","agent_version":"0.43.12","hostname":"PC1234","os_family":"windows","agent_cpu_pct":0.3,"agent_rss_bytes":45000000,"agent_disk_read_bytes":1048576,"agent_disk_written_bytes":524288}';

const reencode = {
  result: (raw: string) =>
    JSON.stringify(encodeExecResult(ExecResultSchema.parse(JSON.parse(raw)))),
  started: (raw: string) =>
    JSON.stringify(encodeEventStarted(EventStartedSchema.parse(JSON.parse(raw)))),
  heartbeat: (raw: string) =>
    JSON.stringify(encodeHeartbeat(HeartbeatSchema.parse(JSON.parse(raw)))),
};

const keys = (raw: string) => Object.keys(JSON.parse(raw));

/** `sub` is a subsequence of `full`: same relative order, optional keys may be absent. */
function inOrder(sub: string[], full: string[]) {
  let i = 0;
  for (const k of full) if (k === sub[i]) i++;
  return i === sub.length;
}

Deno.test("wire: protocol.md examples round-trip byte for byte", () => {
  assert.equal(reencode.result(EXAMPLE_RESULT), EXAMPLE_RESULT);
  assert.equal(reencode.started(EXAMPLE_STARTED), EXAMPLE_STARTED);
  assert.equal(reencode.heartbeat(EXAMPLE_HEARTBEAT), EXAMPLE_HEARTBEAT);
});

Deno.test("wire: simulated agents' messages decode and re-encode identically", async () => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] }, "wire-test");
  await setupJetStream(nats);
  await (await nats.kv(BUCKET.agentConfig)).put("global", '{"heartbeat_interval":"200ms"}');
  const fleet = await startFleet({ natsUrl: broker.url, agents: ["PC1234"], seed: 1 }).catch(
    async (e) => {
      await nats.close();
      await broker.stop();
      throw e;
    },
  );
  try {
    const raw: Record<string, string[]> = { result: [], started: [], heartbeat: [] };
    nats.nc.subscribe(SUBJECT.resultsFilter, {
      callback: (_e, m) => void raw.result.push(td.decode(m.data)),
    });
    nats.nc.subscribe(SUBJECT.eventsStartedFilter, {
      callback: (_e, m) => void raw.started.push(td.decode(m.data)),
    });
    nats.nc.subscribe(SUBJECT.heartbeatFilter, {
      callback: (_e, m) => void raw.heartbeat.push(td.decode(m.data)),
    });
    await nats.nc.flush();
    // Heartbeats with perf fields (the second beat onwards).
    await waitFor(() => raw.heartbeat.length >= 3, { what: "heartbeats", timeoutMs: 15_000 });

    const send = (over: Record<string, unknown>) =>
      nats.nc.publish(
        subjects.commandsPc("PC1234"),
        JSON.stringify(encodeCommand({
          id: "inventory-hw",
          version: "1.0.0",
          request_id: crypto.randomUUID(),
          exec_id: crypto.randomUUID(),
          shell: "powershell",
          script: 'json {"hostname":"{{pc_id}}"}',
          timeout_secs: 60,
          jitter_secs: null,
          ...over,
        })),
      );
    send({});
    send({ exec_id: null, script: "hostname" }); // ad-hoc: no exec_id key in the result
    send({ deadline_at: "2020-01-01T00:00:00Z" }); // synthetic skip
    send({ script: `stdout_bytes ${STDOUT_INLINE_THRESHOLD + 10}` }); // stdout_object pointer
    await waitFor(() => raw.result.length >= 4, { what: "4 results" });
    await waitFor(() => raw.started.length >= 2, { what: "2 started" });

    const order = EXEC_RESULT_FIELDS.map(([k]) => k);
    for (const r of raw.result) {
      assert.equal(reencode.result(r), r);
      assert.ok(inOrder(keys(r), order), r);
    }
    const normal = raw.result.find((r) => r.includes('"hostname'))!;
    assert.deepEqual(keys(normal), keys(EXAMPLE_RESULT));
    assert.equal(JSON.parse(normal).stdout, '{"hostname":"PC1234"}\n');
    const adhoc = raw.result.find((r) => r.includes("simulated powershell"))!;
    assert.ok(!("exec_id" in JSON.parse(adhoc)));
    const big = raw.result.find(hasPointer)!;
    assert.deepEqual(keys(big), [
      "result_id",
      "request_id",
      "exec_id",
      "pc_id",
      "exit_code",
      "stdout",
      "stderr",
      "started_at",
      "finished_at",
      "stdout_object",
      "manifest_id",
    ]);
    for (const s of raw.started) {
      assert.equal(reencode.started(s), s);
      assert.deepEqual(keys(s), keys(EXAMPLE_STARTED));
    }
    const withPerf = raw.heartbeat.filter((h) => h.includes("agent_cpu_pct"));
    assert.ok(withPerf.length > 0);
    for (const h of raw.heartbeat) assert.equal(reencode.heartbeat(h), h);
    assert.deepEqual(keys(withPerf[0]), keys(EXAMPLE_HEARTBEAT));

    // The ping reply is a Heartbeat without the perf fields.
    const ping = td.decode(
      (await nats.nc.request(subjects.ping("PC1234"), "", { timeout: 2000 })).data,
    );
    assert.equal(reencode.heartbeat(ping), ping);
    assert.deepEqual(keys(ping), ["pc_id", "at", "agent_version", "hostname", "os_family"]);
    // Timestamps in the shortest AutoSi form.
    for (const t of [JSON.parse(ping).at, JSON.parse(normal).started_at]) {
      assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$/);
      assert.equal(wireTs(t), t);
    }
  } finally {
    await fleet.stop();
    await nats.close();
    await broker.stop();
  }
});

function hasPointer(r: string) {
  return r.includes('"stdout_object"');
}
