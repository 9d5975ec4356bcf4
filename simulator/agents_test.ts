/**
 * The simulator's per-agent behaviour at the broker: each agent's own subscriptions (read
 * from the broker's monitoring endpoint), realistic output sizes, the behaviours extension
 * point, and churn with replay losing nothing.
 */
import assert from "node:assert/strict";
import { freePort, startNatsServer } from "../tests/helpers/nats_server.ts";
import { waitFor } from "../tests/helpers/backend.ts";
import { connectNats, type Nats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { SUBJECT, subjects } from "../wire/names.ts";
import { type Command, type ExecResult, ExecResultSchema } from "../wire/messages.ts";
import { startFleet } from "./fleet.ts";
import { publishCommand } from "../tests/helpers/command.ts";
import { BEHAVIOURS } from "./behaviours.ts";
import { inboxSubjects } from "./notification_inbox.ts";
import { Churn } from "./churn.ts";
import { prng } from "./util.ts";

const td = new TextDecoder();

async function setup(extraArgs: string[] = []) {
  const broker = await startNatsServer({ extraArgs });
  const nats = await connectNats({ natsServers: [broker.url] }, "sim-agents-test");
  await setupJetStream(nats);
  const results: ExecResult[] = [];
  nats.nc.subscribe(SUBJECT.resultsFilter, {
    callback: (_e, m) => void results.push(ExecResultSchema.parse(JSON.parse(td.decode(m.data)))),
  });
  await nats.nc.flush();
  return { broker, nats, results };
}

function command(nats: Nats, subject: string, partial: Partial<Command> = {}): Command {
  return publishCommand(nats.nc, subject, { script: "Get-Service | Format-Table", ...partial });
}

Deno.test("simulator: every agent has its own subscriptions at the broker, like the real agent", async () => {
  const monitor = freePort();
  const { broker, nats } = await setup(["-m", String(monitor)]);
  const fleet = await startFleet({
    natsUrl: broker.url,
    agents: ["PC-A", "PC-B"],
    groups: { "PC-A": ["canary", "office"] },
    connections: 1,
    perf: false,
  });
  try {
    const subsOf = async () => {
      const r = await fetch(`http://127.0.0.1:${monitor}/connz?subs=1`);
      const j = await r.json() as {
        connections: { name?: string; subscriptions_list?: string[] }[];
      };
      // The client's own reply inbox and KV-watch deliveries are not agent subscriptions.
      return j.connections.filter((c) => c.name?.startsWith("kanade-fleet"))
        .flatMap((c) => c.subscriptions_list ?? []).filter((s) => !s.startsWith("_INBOX."))
        .sort();
    };
    const want = (pc: string, groups: string[]) => [
      SUBJECT.commandsAll,
      subjects.commandsPc(pc),
      ...groups.map((g) => subjects.commandsGroup(g)),
      subjects.ping(pc),
      subjects.logsFetch(pc),
      subjects.jobTail(pc),
      // The notifications behaviour (notifications.ts): the Client App's inbox subjects.
      ...inboxSubjects(pc, groups),
      SUBJECT.notificationsAmend,
    ];
    // notif-amend is one subject per agent, as each real agent subscribes to it.
    const expected = [...want("PC-A", ["canary", "office"]), ...want("PC-B", [])].sort();
    await waitFor(async () => JSON.stringify(await subsOf()) === JSON.stringify(expected), {
      what: "per-agent subscriptions",
    });
    // Going offline drops an agent's subscriptions; coming back restores them.
    fleet.setOnline("PC-B", false);
    await fleet.flush();
    await waitFor(async () => !(await subsOf()).includes(subjects.ping("PC-B")), {
      what: "offline agent unsubscribed",
    });
    fleet.setOnline("PC-B", true);
    await fleet.flush();
    await waitFor(async () => (await subsOf()).includes(subjects.ping("PC-B")), {
      what: "back online",
    });
    // A run with an exec_id listens on kill.<exec_id> while it lasts.
    const long = command(nats, subjects.commandsPc("PC-A"), { script: "sleep 5s" });
    await waitFor(async () => (await subsOf()).includes(subjects.kill(long.exec_id!)), {
      what: "kill subscription during the run",
    });
    nats.nc.publish(subjects.kill(long.exec_id!), new Uint8Array());
    await waitFor(() => fleet.agent("PC-A").runs.some((r) => r.exitCode === -1), {
      what: "killed",
    });
    await waitFor(async () => !(await subsOf()).includes(subjects.kill(long.exec_id!)), {
      what: "kill subscription released",
    });
  } finally {
    await fleet.stop();
    await nats.close();
    await broker.stop();
  }
});

Deno.test("simulator: realistic output sizes for scripts it does not interpret", async () => {
  const { broker, nats, results } = await setup();
  const n = 200;
  const fleet = await startFleet({
    natsUrl: broker.url,
    agents: n,
    realisticOutput: true,
    perf: false,
    seed: 11,
  });
  try {
    command(nats, SUBJECT.commandsAll);
    await fleet.waitForResults(n, 20_000);
    await waitFor(() => results.length === n, { what: `${n} results` });
    const sizes = results.map((r) => r.stdout.length).sort((a, b) => a - b);
    const median = sizes[n / 2];
    assert.ok(median > 300 && median < 1500, `median ${median}`);
    assert.ok(sizes[n - 1] > 3 * median, `max ${sizes[n - 1]}`);
    assert.ok(
      results.every((r) => /^simulated powershell run on PC-\d+: Get-Service/.test(r.stdout)),
    );
  } finally {
    await fleet.stop();
    await nats.close();
    await broker.stop();
  }
});

Deno.test("simulator: a behaviour adds per-agent subscriptions and answers runs", async () => {
  const { broker, nats, results } = await setup();
  const heard: string[] = [];
  BEHAVIOURS.push({
    name: "test-behaviour",
    subscriptions: (a) => [{
      subject: `test.notify.${a.pcId}`,
      onMessage: (agent) => heard.push(agent.pcId),
    }],
    run: (_a, cmd) =>
      cmd.id === "check-disk" ? { stdout: "WARN 91%\n", stderr: "", exitCode: 1 } : null,
  });
  const fleet = await startFleet({ natsUrl: broker.url, agents: ["PC-A", "PC-B"], perf: false });
  try {
    await fleet.flush();
    nats.nc.publish("test.notify.PC-B", "hello");
    await waitFor(() => heard.includes("PC-B"), { what: "behaviour subscription" });
    assert.deepEqual(heard, ["PC-B"]);
    const c = command(nats, subjects.commandsPc("PC-A"), { id: "check-disk" });
    const plain = command(nats, subjects.commandsPc("PC-A"), { script: "echo plain" });
    await waitFor(() => results.length === 2, { what: "2 results" });
    const byReq = new Map(results.map((r) => [r.request_id, r]));
    assert.equal(byReq.get(c.request_id)!.stdout, "WARN 91%\n");
    assert.equal(byReq.get(c.request_id)!.exit_code, 1);
    assert.equal(byReq.get(plain.request_id)!.stdout, "plain\n");
  } finally {
    BEHAVIOURS.pop();
    await fleet.stop();
    await nats.close();
    await broker.stop();
  }
});

Deno.test("simulator: under churn every agent answers every exec exactly once (replay)", async () => {
  const { broker, nats, results } = await setup();
  const n = 60;
  const fleet = await startFleet({ natsUrl: broker.url, agents: n, perf: false, seed: 5 });
  const churn = new Churn(fleet, {
    fraction: 0.3,
    minOffMs: 300,
    maxOffMs: 900,
    tickMs: 100,
    rand: prng(9),
  });
  churn.start();
  const cmds: Command[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      cmds.push(command(nats, SUBJECT.commandsAll, { script: `echo run ${i}` }));
      await new Promise((r) => setTimeout(r, 250));
    }
    await waitFor(() => churn.stats.left > 10, { what: "agents churned" });
    churn.stop();
    for (const pc of fleet.pcIds) fleet.setOnline(pc, true);
    // commands.all keeps only its last message in EXEC (max 1 per subject): agents away
    // for several commands replay the last one, as the real agent does.
    const last = cmds.at(-1)!;
    await waitFor(
      () => results.filter((r) => r.request_id === last.request_id).length === n,
      { what: `${n} results of the last exec`, timeoutMs: 20_000 },
    );
    const seen = new Set<string>();
    for (const r of results) {
      const k = `${r.request_id}/${r.pc_id}`;
      assert.ok(!seen.has(k), `duplicate result ${k}`);
      seen.add(k);
    }
  } finally {
    churn.stop();
    await fleet.stop();
    await nats.close();
    await broker.stop();
  }
});
