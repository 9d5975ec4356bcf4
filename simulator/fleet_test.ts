/**
 * The simulator against a real private nats-server with the real JetStream resources; this
 * test plays the backend by publishing Commands and reading results straight off NATS.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { waitFor } from "../tests/helpers/backend.ts";
import { connectNats, type Nats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import {
  BUCKET,
  OBJECT_STORE,
  SCRIPT_STATUS_REVOKED,
  STDOUT_INLINE_THRESHOLD,
  SUBJECT,
  subjects,
} from "../wire/names.ts";
import {
  type Command,
  encodeCommand,
  EventStartedSchema,
  type ExecResult,
  ExecResultSchema,
  HeartbeatSchema,
} from "../wire/messages.ts";
import { wireTs } from "../wire/time.ts";
import {
  encodeHostPerf,
  encodeProcessPerf,
  HostPerfSchema,
  ProcessPerfSchema,
} from "../wire/perf.ts";
import { type Fleet, startFleet } from "./fleet.ts";
import { publishCommand } from "../tests/helpers/command.ts";

const td = new TextDecoder();

interface Harness {
  nats: Nats;
  fleet: Fleet;
  results: ExecResult[];
  started: unknown[];
  heartbeats: Map<string, number[]>;
  publish(subject: string, cmd: Partial<Command>): Command;
  stop(): Promise<void>;
}

async function harness(
  fleetOpts: Partial<Parameters<typeof startFleet>[0]> = {},
  before?: (nats: Nats) => Promise<void>,
): Promise<Harness> {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] }, "fleet-test");
  await setupJetStream(nats);
  if (before) await before(nats);
  const results: ExecResult[] = [];
  const started: unknown[] = [];
  const heartbeats = new Map<string, number[]>();
  nats.nc.subscribe(SUBJECT.resultsFilter, {
    callback: (_e, m) => void results.push(ExecResultSchema.parse(JSON.parse(td.decode(m.data)))),
  });
  nats.nc.subscribe(SUBJECT.eventsStartedFilter, {
    callback: (_e, m) => void started.push(EventStartedSchema.parse(JSON.parse(td.decode(m.data)))),
  });
  nats.nc.subscribe(SUBJECT.heartbeatFilter, {
    callback: (_e, m) => {
      const hb = HeartbeatSchema.parse(JSON.parse(td.decode(m.data)));
      const l = heartbeats.get(hb.pc_id) ?? [];
      l.push(Date.now());
      heartbeats.set(hb.pc_id, l);
    },
  });
  await nats.nc.flush();
  const fleet = await startFleet({
    natsUrl: broker.url,
    agents: ["PC-A", "PC-B", "PC-C"],
    connections: 2,
    seed: 7,
    ...fleetOpts,
  });
  return {
    nats,
    fleet,
    results,
    started,
    heartbeats,
    publish: (subject, partial) => publishCommand(nats.nc, subject, partial),
    async stop() {
      await fleet.stop();
      await nats.close();
      await broker.stop();
    },
  };
}

const forReq = (h: Harness, rid: string) => h.results.filter((r) => r.request_id === rid);

Deno.test("fleet: commands.all reaches every agent once, with events.started and results", async () => {
  const h = await harness();
  try {
    const cmd = h.publish(SUBJECT.commandsAll, { script: "echo hello {{pc_id}}" });
    // A duplicate copy (same request_id) is dropped by every agent.
    h.nats.nc.publish(
      SUBJECT.commandsAll,
      JSON.stringify(encodeCommand(cmd)),
    );
    await waitFor(() => forReq(h, cmd.request_id).length === 3, { what: "3 results" });
    const rs = forReq(h, cmd.request_id);
    assert.deepEqual(rs.map((r) => r.pc_id).sort(), ["PC-A", "PC-B", "PC-C"]);
    for (const r of rs) {
      assert.equal(r.exit_code, 0);
      assert.equal(r.stdout, `hello ${r.pc_id}\n`);
      assert.equal(r.exec_id, cmd.exec_id);
      assert.equal(r.manifest_id, "job1");
    }
    await waitFor(() => h.started.length === 3, { what: "3 started events" });
    const startedIds = (h.started as { result_id: string }[]).map((s) => s.result_id).sort();
    assert.deepEqual(startedIds, rs.map((r) => r.result_id).sort());
    await waitFor(() => h.fleet.stats().duplicates === 3, { what: "3 duplicates" });
    assert.equal(h.fleet.agent("PC-A").commands.length, 1);
    await h.fleet.waitForResults(3, 1000);
    // Ad-hoc (no exec_id): no started event.
    const adhoc = h.publish(subjects.commandsPc("PC-B"), { exec_id: null, script: "hostname" });
    await waitFor(() => forReq(h, adhoc.request_id).length === 1, { what: "ad-hoc result" });
    const r = forReq(h, adhoc.request_id)[0];
    assert.equal(r.exec_id ?? null, null);
    assert.match(r.stdout, /^simulated powershell run on PC-B: hostname\n$/);
    assert.equal(h.started.length, 3);
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: gates in §4.1 order with upstream stderr texts", async () => {
  const h = await harness();
  try {
    const cur = await h.nats.kv(BUCKET.scriptCurrent);
    const st = await h.nats.kv(BUCKET.scriptStatus);
    await cur.put("pinned", "2.0.0");
    const pin = h.publish(subjects.commandsPc("PC-A"), { id: "pinned", version: "1.0.0" });
    await st.put("gone", SCRIPT_STATUS_REVOKED);
    const rev = h.publish(subjects.commandsPc("PC-A"), { id: "gone" });
    const late = h.publish(subjects.commandsPc("PC-A"), {
      deadline_at: "2020-01-01T00:00:00Z",
    });
    // Version pin beats revoke (order): revoked AND mismatched → 124.
    await cur.put("both", "9.9.9");
    await st.put("both", SCRIPT_STATUS_REVOKED);
    const both = h.publish(subjects.commandsPc("PC-A"), { id: "both" });
    // Deadline in the future still runs.
    const ok = h.publish(subjects.commandsPc("PC-A"), {
      deadline_at: wireTs(Date.now() + 60_000),
    });
    await waitFor(() => h.results.length >= 5, { what: "5 results" });
    const one = (c: Command) => forReq(h, c.request_id)[0];
    assert.equal(one(pin).exit_code, 124);
    assert.equal(
      one(pin).stderr,
      "skipped: version-pin mismatch — script_current[pinned] = 2.0.0, command brought 1.0.0",
    );
    assert.equal(one(pin).stdout, "");
    assert.equal(one(pin).started_at, one(pin).finished_at);
    assert.equal(one(rev).exit_code, 126);
    assert.equal(one(rev).stderr, "skipped: command was revoked (script_status[gone] = revoked)");
    assert.equal(one(late).exit_code, 125);
    assert.match(
      one(late).stderr,
      /^skipped: starting deadline expired \d+.* ago \(deadline 2020-01-01 00:00:00 UTC, received \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/,
    );
    assert.equal(one(both).exit_code, 124);
    assert.equal(one(ok).exit_code, 0);
    // No started events for synthetic skips.
    assert.equal(
      (h.started as { request_id: string }[]).filter((s) => s.request_id !== ok.request_id).length,
      0,
    );
    // Staleness: strict policy while "disconnected" too long → 127 before anything else.
    const a = h.fleet.agent("PC-B");
    a.simulateDisconnectedMs = 600_000;
    const stale = h.publish(subjects.commandsPc("PC-B"), {
      id: "pinned",
      staleness: { mode: "strict", max_cache_age: "5m" },
    });
    const cached = h.publish(subjects.commandsPc("PC-B"), {});
    await waitFor(() => forReq(h, stale.request_id).length && forReq(h, cached.request_id).length);
    assert.equal(one(stale).exit_code, 127);
    assert.equal(
      one(stale).stderr,
      "skipped: staleness policy (mode=strict) exceeded — agent has been disconnected for 10m, max allowed 5m",
    );
    assert.equal(one(cached).exit_code, 0);
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: kill, timeout, retries and exit codes", async () => {
  const h = await harness();
  try {
    const idleSubs = h.fleet.agent("PC-A").subscriptionCount;
    const long = h.publish(subjects.commandsPc("PC-A"), { script: "echo start\nsleep 20s" });
    await waitFor(() => h.fleet.agent("PC-A").runs.some((r) => r.running && r.stdout));
    assert.equal(
      h.fleet.agent("PC-A").subscriptionCount,
      idleSubs + 1,
      "kill.<exec_id> while running",
    );
    h.nats.nc.publish(subjects.kill(long.exec_id!));
    const slow = h.publish(subjects.commandsPc("PC-B"), { script: "sleep 5s", timeout_secs: 1 });
    const flaky = h.publish(subjects.commandsPc("PC-C"), {
      script: "echo try\nexit 3",
      retry: { max: 2, backoff_secs: 0 },
    });
    const code = h.publish(subjects.commandsPc("PC-C"), { script: "echo_err bad\nexit 7" });
    await waitFor(() => h.results.length >= 4, { timeoutMs: 8000, what: "4 results" });
    const one = (c: Command) => forReq(h, c.request_id)[0];
    assert.equal(one(long).exit_code, -1);
    assert.equal(one(long).stdout, "start\n");
    assert.equal(one(long).stderr, `killed by remote signal (kill.${long.exec_id})`);
    assert.equal(one(slow).exit_code, -1);
    assert.equal(one(slow).stderr, "timeout after 1s");
    assert.equal(one(flaky).exit_code, 3);
    assert.equal(one(flaky).stderr, "failed after 2 retries exhausted (#418 on_failure.retry)");
    assert.equal(
      h.fleet.agent("PC-C").runs.find((r) => r.requestId === flaky.request_id)?.attempts,
      3,
    );
    assert.equal(one(code).exit_code, 7);
    assert.equal(one(code).stderr, "bad\n");
    assert.equal(h.fleet.agent("PC-A").subscriptionCount, idleSubs, "kill.<exec_id> released");
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: groups from KV route group subjects and follow changes", async () => {
  const h = await harness({ groups: { "PC-A": ["canary"] }, writeGroups: true });
  try {
    const groups = await h.nats.kv(BUCKET.agentGroups);
    assert.equal(td.decode((await groups.get("PC-A"))!.value), '{"groups":["canary"]}');
    const c1 = h.publish(subjects.commandsGroup("canary"), {});
    await waitFor(() => forReq(h, c1.request_id).length === 1);
    await groups.put("PC-B", JSON.stringify({ groups: ["canary", "wave1"] }));
    await groups.put("PC-A", JSON.stringify({ groups: ["wave1"] }));
    await waitFor(() => h.fleet.agent("PC-B").groups.includes("canary"));
    await waitFor(() => !h.fleet.agent("PC-A").groups.includes("canary"));
    await h.fleet.flush(); // the new group subscriptions are in place at the broker
    const c2 = h.publish(subjects.commandsGroup("canary"), {});
    const c3 = h.publish(subjects.commandsGroup("wave1"), {});
    await waitFor(() => forReq(h, c3.request_id).length === 2, { what: "wave1 results" });
    await waitFor(() => forReq(h, c2.request_id).length === 1, { what: "canary result" });
    assert.equal(forReq(h, c2.request_id)[0].pc_id, "PC-B");
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: heartbeat cadence follows agent_config; ping, logs and tail answer", async () => {
  const h = await harness({}, async (nats) => {
    await (await nats.kv(BUCKET.agentConfig)).put("global", '{"heartbeat_interval":"10s"}');
  });
  try {
    await waitFor(() => h.heartbeats.get("PC-A")?.length, { what: "first heartbeat" });
    assert.equal(h.fleet.agent("PC-A").heartbeatIntervalMs, 10_000);
    await (await h.nats.kv(BUCKET.agentConfig)).put("global", '{"heartbeat_interval":"200ms"}');
    await waitFor(() => (h.heartbeats.get("PC-A")?.length ?? 0) >= 4, {
      timeoutMs: 3000,
      what: "faster heartbeats",
    });
    // A per-pc scope wins over global.
    await (await h.nats.kv(BUCKET.agentConfig)).put("pcs.PC-B", '{"heartbeat_interval":"1h"}');
    await waitFor(() => h.fleet.agent("PC-B").heartbeatIntervalMs === 3_600_000);

    const ping = await h.nats.nc.request(subjects.ping("PC-C"), "", { timeout: 2000 });
    const hb = JSON.parse(td.decode(ping.data));
    assert.deepEqual(Object.keys(hb), ["pc_id", "at", "agent_version", "hostname", "os_family"]);
    assert.equal(hb.pc_id, "PC-C");

    const run = h.publish(subjects.commandsPc("PC-C"), { script: "echo partial\nsleep 10s" });
    const view = await waitFor(() =>
      h.fleet.agent("PC-C").runs.find((r) => r.requestId === run.request_id && r.stdout)
    );
    const tail = await h.nats.nc.request(
      subjects.jobTail("PC-C"),
      JSON.stringify({ result_id: view.resultId }),
      { timeout: 2000 },
    );
    assert.deepEqual(JSON.parse(td.decode(tail.data)), {
      found: true,
      running: true,
      stdout: "partial\n",
      stderr: "",
      stdout_truncated: false,
      stderr_truncated: false,
    });
    const missing = await h.nats.nc.request(subjects.jobTail("PC-C"), "garbage", { timeout: 2000 });
    assert.equal(JSON.parse(td.decode(missing.data)).found, false);
    h.nats.nc.publish(subjects.kill(run.exec_id!));

    const logs = await h.nats.nc.request(
      subjects.logsFetch("PC-C"),
      JSON.stringify({ tail_lines: 2 }),
      { timeout: 2000 },
    );
    const text = td.decode(logs.data);
    assert.equal(text.split("\n").length, 3); // two lines, each ending in \n
    assert.ok(text.endsWith("\n"));
    // Every line as the real agent writes it; the run's own lines name its ids.
    const all = td.decode(
      (await h.nats.nc.request(subjects.logsFetch("PC-C"), "{}", { timeout: 2000 })).data,
    ).trimEnd().split("\n");
    for (const l of all) {
      assert.match(
        l,
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z (INFO|WARN|ERROR) kanade_agent: \S.*$/,
      );
    }
    const has = (msg: string) => all.some((l) => l.endsWith(` INFO kanade_agent: ${msg}`));
    assert.ok(has(`command received id=job1 request_id=${run.request_id}`), all.join("\n"));
    assert.ok(has(`run started result_id=${view.resultId}`), all.join("\n"));
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: large stdout via result_output; script_object fetch and sha256", async () => {
  const body = new TextEncoder().encode("echo from object store");
  const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", body))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const h = await harness({}, async (nats) => {
    await (await nats.obj(OBJECT_STORE.scripts)).putBlob({ name: "inv/1.0.0" }, body);
  });
  try {
    const big = h.publish(subjects.commandsPc("PC-A"), {
      script: `stdout_bytes ${STDOUT_INLINE_THRESHOLD + 1}`,
    });
    const obj = h.publish(subjects.commandsPc("PC-B"), {
      script: "",
      script_object: "inv/1.0.0",
      script_object_sha256: sha,
    });
    const bad = h.publish(subjects.commandsPc("PC-C"), {
      script: "",
      script_object: "inv/1.0.0",
      script_object_sha256: "00",
    });
    await waitFor(() => h.results.length >= 3, { what: "3 results" });
    const one = (c: Command) => forReq(h, c.request_id)[0];
    assert.equal(one(big).stdout, "");
    assert.equal(one(big).stdout_object, `${big.request_id}/stdout`);
    const stored = await (await h.nats.obj(OBJECT_STORE.resultOutput)).getBlob(
      `${big.request_id}/stdout`,
    );
    assert.equal(stored?.length, STDOUT_INLINE_THRESHOLD + 1);
    assert.equal(one(obj).stdout, "from object store\n");
    assert.equal(one(bad).exit_code, 1);
    assert.match(one(bad).stderr, /sha256 mismatch/);
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: an offline agent hears nothing, then replays missed commands from EXEC", async () => {
  const h = await harness();
  try {
    h.fleet.setOnline("PC-A", false);
    const missed = h.publish(subjects.commandsPc("PC-A"), { script: "echo missed" });
    const all = h.publish(SUBJECT.commandsAll, {});
    await waitFor(() => forReq(h, all.request_id).length === 2, { what: "online agents" });
    const ping = await h.nats.nc.request(subjects.ping("PC-A"), "", { timeout: 300 }).catch(
      () => null,
    );
    assert.equal(ping, null);
    assert.equal(h.fleet.agent("PC-A").commands.length, 0);
    h.fleet.setOnline("PC-A", true);
    await waitFor(() => forReq(h, missed.request_id).length === 1, { what: "replayed pc command" });
    await waitFor(() => forReq(h, all.request_id).length === 3, { what: "replayed all command" });
    // Replay again (offline/online): nothing runs twice.
    h.fleet.setOnline("PC-B", false);
    h.fleet.setOnline("PC-B", true);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(forReq(h, all.request_id).length, 3);
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: 1,000 agents on 4 shared connections answer one commands.all", async () => {
  const h = await harness({ agents: 1000, connections: 4 });
  try {
    assert.equal(h.fleet.pcIds.length, 1000);
    assert.equal(h.fleet.pcIds[0], "PC-0001");
    const cmd = h.publish(SUBJECT.commandsAll, { script: "echo {{pc_id}}" });
    await h.fleet.waitForResults(1000, 20_000);
    await waitFor(() => forReq(h, cmd.request_id).length === 1000, {
      what: "1000 results on NATS",
    });
    assert.equal(new Set(forReq(h, cmd.request_id).map((r) => r.pc_id)).size, 1000);
    assert.equal(h.fleet.stats().commands, 1000);
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: with an in-flight cap, agents queue for the broker and every result arrives once", async () => {
  const h = await harness({ agents: 1000, connections: 4, maxInflight: 8 });
  let queuedMax = 0;
  const sampler = setInterval(() => {
    queuedMax = Math.max(queuedMax, h.fleet.stats().publish_queued);
  }, 1);
  try {
    const cmd = h.publish(SUBJECT.commandsAll, { script: "echo {{pc_id}}" });
    await h.fleet.waitForResults(1000, 30_000);
    await waitFor(() => forReq(h, cmd.request_id).length === 1000, {
      what: "1000 results on NATS",
    });
    assert.equal(new Set(forReq(h, cmd.request_id).map((r) => r.pc_id)).size, 1000);
    assert.ok(queuedMax > 8, `the cap held agents back (queue peaked at ${queuedMax})`);
    assert.equal(h.fleet.stats().publish_queued, 0);
    assert.equal(h.fleet.stats().publishRetries, 0);
  } finally {
    clearInterval(sampler);
    await h.stop();
  }
});

Deno.test("fleet: KV watches and subscriptions survive a broker restart", async () => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] }, "fleet-restart");
  await setupJetStream(nats);
  const fleet = await startFleet({ natsUrl: broker.url, agents: ["PC-R"], connections: 1 });
  try {
    assert.equal(fleet.agent("PC-R").heartbeatIntervalMs, 30_000);
    await broker.restart({ downMs: 300 });
    // The backend's own connection reconnects too; then an operator changes things.
    // A KV put is a JetStream publish on `$KV.<bucket>.<key>`; short attempts while the
    // broker's JetStream recovers.
    await waitFor(async () => {
      await nats.js.publish(`$KV.${BUCKET.agentConfig}.global`, '{"heartbeat_interval":"2s"}', {
        timeout: 1000,
      });
      return true;
    }, { timeoutMs: 15_000, what: "kv put after restart" });
    await waitFor(() => fleet.agent("PC-R").heartbeatIntervalMs === 2000, {
      timeoutMs: 10_000,
      what: "config watch after restart",
    });
    await (await nats.kv(BUCKET.agentGroups)).put("PC-R", '{"groups":["late"]}');
    await waitFor(() => fleet.agent("PC-R").groups.includes("late"), { what: "groups watch" });
    const got: string[] = [];
    nats.nc.subscribe(SUBJECT.resultsFilter, {
      callback: (_e, m) =>
        void got.push(ExecResultSchema.parse(JSON.parse(td.decode(m.data))).pc_id),
    });
    await nats.nc.flush();
    nats.nc.publish(
      subjects.commandsGroup("late"),
      JSON.stringify(encodeCommand({
        id: "j",
        version: "1",
        request_id: crypto.randomUUID(),
        exec_id: null,
        shell: "cmd",
        script: "echo after restart",
        timeout_secs: 10,
      })),
    );
    await waitFor(() => got.includes("PC-R"), { what: "result after restart" });
  } finally {
    await fleet.stop();
    await nats.close();
    await broker.stop();
  }
});

Deno.test("fleet cli: `deno task fleet --agents 10 --groups a,b` runs agents and writes groups", async () => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] }, "fleet-cli");
  await setupJetStream(nats);
  const beats = new Set<string>();
  nats.nc.subscribe(SUBJECT.heartbeatFilter, { callback: (_e, m) => void beats.add(m.subject) });
  await nats.nc.flush();
  const { spawnFleet } = await import("../tests/helpers/fleet_process.ts");
  const proc = await spawnFleet([
    "--agents",
    "10",
    "--groups",
    "a,b",
    "--nats",
    broker.url,
    "--prefix",
    "CLI-",
  ]);
  try {
    const kv = await nats.kv(BUCKET.agentGroups);
    assert.equal(td.decode((await kv.get("CLI-0001"))!.value), '{"groups":["a"]}');
    assert.equal(td.decode((await kv.get("CLI-0002"))!.value), '{"groups":["b"]}');
    await waitFor(() => beats.size === 10, { what: "10 agents beating" });
    const reply = await nats.nc.request(subjects.ping("CLI-0010"), "", { timeout: 2000 });
    assert.equal(HeartbeatSchema.parse(JSON.parse(td.decode(reply.data))).pc_id, "CLI-0010");
  } finally {
    await proc.stop();
    await nats.close();
    await broker.stop();
  }
});

Deno.test("fleet: agents follow target_version like the real self-update", async () => {
  const h = await harness({ groups: { "PC-A": ["wave1"], "PC-B": ["wave1"] }, writeGroups: true });
  try {
    const versions = new Map<string, string>();
    h.nats.nc.subscribe(SUBJECT.heartbeatFilter, {
      callback: (_e, m) => {
        const hb = HeartbeatSchema.parse(JSON.parse(td.decode(m.data)));
        versions.set(hb.pc_id, hb.agent_version);
      },
    });
    const cfg = await h.nats.kv(BUCKET.agentConfig);
    // Not published yet: nobody moves.
    await cfg.put("groups.wave1", '{"target_version":"0.50.0","target_version_jitter":"0s"}');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(h.fleet.agent("PC-A").version, "0.43.45");
    await (await h.nats.obj(OBJECT_STORE.agentReleases)).putBlob(
      { name: "0.50.0" },
      new Uint8Array([1, 2, 3]),
    );
    // A config change re-triggers the check at once (the 30 s retry is not needed).
    await cfg.put("groups.wave1", '{"target_version":"0.50.0","target_version_jitter":"1s"}');
    await waitFor(() => versions.get("PC-A") === "0.50.0" && versions.get("PC-B") === "0.50.0", {
      what: "wave1 on 0.50.0",
      timeoutMs: 5000,
    });
    assert.equal(h.fleet.agent("PC-C").version, "0.43.45");
    assert.equal(h.fleet.stats().selfUpdates, 2);
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: mass churn — 300 agents come back together and each replays its own commands", async () => {
  const h = await harness({ agents: 300, connections: 3 });
  try {
    const ids = h.fleet.pcIds;
    for (const id of ids) h.fleet.setOnline(id, false);
    const all = h.publish(SUBJECT.commandsAll, {});
    const perPc = ids.map((id) => h.publish(subjects.commandsPc(id), { script: "echo mine" }));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(h.fleet.stats().commands, 0);
    for (const id of ids) h.fleet.setOnline(id, true);
    await h.fleet.waitForResults(600, 20_000);
    await waitFor(() => forReq(h, all.request_id).length === 300, { what: "300 replays of all" });
    for (const c of perPc.slice(0, 20)) assert.equal(forReq(h, c.request_id).length, 1);
    assert.equal(h.fleet.stats().commands, 600);
  } finally {
    await h.stop();
  }
});

Deno.test("fleet: host_perf and process_perf follow the effective config", async () => {
  const h = await harness({ agents: ["PC-P"] }, async (nats) => {
    await (await nats.kv(BUCKET.agentConfig)).put(
      "global",
      '{"host_perf_interval":"150ms","process_perf_enabled":true,"process_perf_top_n":3}',
    );
  });
  try {
    const host: string[] = [];
    const procs: string[] = [];
    h.nats.nc.subscribe(subjects.hostPerf("PC-P"), {
      callback: (_e, m) => void host.push(td.decode(m.data)),
    });
    h.nats.nc.subscribe(subjects.processPerf("PC-P"), {
      callback: (_e, m) => void procs.push(td.decode(m.data)),
    });
    await waitFor(() => host.length >= 2 && procs.length >= 2, { what: "perf samples" });
    for (const raw of host) {
      assert.equal(JSON.stringify(encodeHostPerf(HostPerfSchema.parse(JSON.parse(raw)))), raw);
    }
    const p = ProcessPerfSchema.parse(JSON.parse(procs[0]));
    assert.equal(JSON.stringify(encodeProcessPerf(p)), procs[0]);
    assert.equal(p.processes.length, 3);
    assert.ok(p.processes[0].cpu_pct >= p.processes[2].cpu_pct);
    // An expired investigation stops process_perf; host_perf goes on.
    await (await h.nats.kv(BUCKET.agentConfig)).put(
      "global",
      '{"host_perf_interval":"150ms","process_perf_enabled":true,"process_perf_expires_at":"2020-01-01T00:00:00Z"}',
    );
    await new Promise((r) => setTimeout(r, 300));
    const [nh, np] = [host.length, procs.length];
    await waitFor(() => host.length >= nh + 2, { what: "more host_perf" });
    assert.equal(procs.length, np);
  } finally {
    await h.stop();
  }
});
