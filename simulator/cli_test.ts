/**
 * `deno task fleet` as an operator runs it: --help, an unreachable broker, a fleet started
 * before the backend (waits, or creates the resources with --setup), several processes
 * behind one command with one stats line, and SIGTERM ending them all.
 */
import assert from "node:assert/strict";
import { freePort, startNatsServer } from "../tests/helpers/nats_server.ts";
import { waitFor } from "../tests/helpers/backend.ts";
import { tailLines, terminate } from "../tests/helpers/child.ts";
import { connectNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { SUBJECT } from "../wire/names.ts";
import { HeartbeatSchema } from "../wire/messages.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;
const td = new TextDecoder();

function fleetCli(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  tailLines(child.stderr, 500, (l) => lines.push(l));
  return { child, lines };
}

Deno.test("fleet cli: --help prints the options and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", MAIN, "--help"] })
    .output();
  assert.equal(out.code, 0);
  const text = td.decode(out.stdout);
  for (const f of ["--agents", "--processes", "--churn", "--setup", "--report-secs"]) {
    assert.match(text, new RegExp(f));
  }
  // The registered behaviours' flags (behaviours.ts), with the behaviour that reads each.
  assert.match(text, /--notify-ack-share 0\.\.1\s+share of agents .*\(notifications\)/);
  assert.match(text, /--notify-ack-delay-ms ms\s+delay from showing .*\(notifications\)/);
  assert.match(text, /--check-mix ok=80,warn=10,fail=10\s+weights of the statuses .*\(checks\)/);
  assert.match(text, /--check-flip 0\.\.1\s+share of PCs whose check status .*\(checks\)/);
});

Deno.test("fleet cli: a bad behaviour flag value is one line naming the flag, exit 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--notify-ack-share", "1.5", "--nats", "nats://127.0.0.1:1"],
  }).output();
  assert.equal(out.code, 2, td.decode(out.stderr));
  assert.match(td.decode(out.stderr), /^fleet: --notify-ack-share: must be 0\.\.1, got 1\.5\n$/);
});

Deno.test("fleet cli: an unreachable broker is one line and exit 1", async () => {
  const port = freePort();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--agents", "3", "--nats", `nats://127.0.0.1:${port}`],
  }).output();
  assert.equal(out.code, 1);
  const err = td.decode(out.stderr).trim().split("\n");
  assert.equal(err.length, 1, err.join("\n"));
  assert.match(err[0], new RegExp(`^fleet: cannot reach the broker at nats://127.0.0.1:${port}: `));
});

Deno.test("fleet cli: started before the backend, it waits for the buckets; --setup creates them", async () => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] }, "fleet-cli-wait");
  const a = fleetCli(["--agents", "3", "--nats", broker.url, "--prefix", "W-"]);
  try {
    await waitFor(() => a.lines.some((l) => /waiting for the backend to create/.test(l)), {
      what: "waiting line",
    });
    assert.ok(!a.lines.some((l) => /agents up in/.test(l)));
    await setupJetStream(nats); // the backend starts
    await waitFor(() => a.lines.some((l) => /^fleet: 3 agents up in/.test(l)), {
      what: "ready after setup",
      timeoutMs: 20_000,
    });
  } finally {
    await terminate(a.child, 5000);
  }
  const broker2 = await startNatsServer();
  const b = fleetCli(["--agents", "2", "--nats", broker2.url, "--setup", "--groups", "g"]);
  try {
    await waitFor(() => b.lines.some((l) => /^fleet: 2 agents up in/.test(l)), {
      what: "ready with --setup",
      timeoutMs: 20_000,
    });
    assert.ok(b.lines.some((l) => /created \d+ JetStream resources/.test(l)), b.lines.join("\n"));
  } finally {
    await terminate(b.child, 5000);
    await nats.close();
    await broker.stop();
    await broker2.stop();
  }
});

Deno.test("fleet cli: --processes 2 runs one fleet in two processes with one stats line; SIGTERM ends all", async () => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] }, "fleet-cli-procs");
  await setupJetStream(nats);
  const beats = new Set<string>();
  nats.nc.subscribe(SUBJECT.heartbeatFilter, {
    callback: (_e, m) => void beats.add(HeartbeatSchema.parse(JSON.parse(td.decode(m.data))).pc_id),
  });
  await nats.nc.flush();
  const f = fleetCli([
    "--agents",
    "40",
    "--processes",
    "2",
    "--nats",
    broker.url,
    "--heartbeat-secs",
    "1",
    "--report-secs",
    "0.5",
  ]);
  let children: number[] = [];
  try {
    await waitFor(() => f.lines.some((l) => /^fleet: 40 agents up in .*\(2 processes\)$/.test(l)), {
      what: "ready line",
      timeoutMs: 30_000,
    });
    await waitFor(() => beats.size === 40, { what: "40 agents beating", timeoutMs: 10_000 });
    assert.ok(beats.has("PC-0001") && beats.has("PC-0040"));
    const stats = () =>
      f.lines.filter((l) => l.startsWith("fleet: {")).map((l) => JSON.parse(l.slice(7)));
    await waitFor(() => stats().some((s) => s.agents === 40 && s.heartbeats >= 40), {
      what: "combined stats",
    });
    const s = stats().at(-1);
    assert.equal(s.processes, 2);
    assert.equal(typeof s.cpu_pct, "number");
    assert.ok(s.rss_mib > 50, `rss ${s.rss_mib}`);
    const ps = await new Deno.Command("pgrep", { args: ["-P", String(f.child.pid)] }).output();
    children = td.decode(ps.stdout).trim().split("\n").filter(Boolean).map(Number);
    assert.equal(children.length, 2);
  } finally {
    await terminate(f.child, 15_000);
  }
  const status = await f.child.status;
  assert.equal(status.code, 0);
  for (const pid of children) {
    await waitFor(async () => !(await Deno.stat(`/proc/${pid}`).then(() => true, () => false)), {
      what: `child ${pid} gone`,
    });
  }
  await nats.close();
  await broker.stop();
});
