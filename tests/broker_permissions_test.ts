/**
 * Broker permissions: a real nats-server started with the shipped
 * `deploy/permissions.conf`, the backend connected as user `backend` and the simulated
 * fleet as user `agent`. Their real flows work (heartbeats, exec → results, ping, logs,
 * the accounts bucket), the allow/deny matrix of every role is asserted from the
 * server's permission errors, and the server log shows no violation other than the
 * probes' deliberate ones.
 */
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { startNatsServer } from "./helpers/nats_server.ts";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { accountsEnv, call, createAccount, tokenFor } from "./helpers/accounts.ts";
import { type Fleet, startFleet } from "../simulator/fleet.ts";
import { findNatsServer } from "../lib/dev_broker.ts";
import { BUCKET, KEY_ACCOUNTS } from "../wire/names.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const PERMISSIONS = `${ROOT}deploy/permissions.conf`;
const PASSWORDS = {
  backend: `pw-backend-${crypto.randomUUID()}`,
  agent: `pw-agent-${crypto.randomUUID()}`,
  cli: `pw-cli-${crypto.randomUUID()}`,
};
const SERVER_ENV = {
  KANADE_NATS_BACKEND_PASSWORD: PASSWORDS.backend,
  KANADE_NATS_AGENT_PASSWORD: PASSWORDS.agent,
  KANADE_NATS_CLI_PASSWORD: PASSWORDS.cli,
};

/** A connection of one role that records the permission errors the server sends it. */
class Probe {
  readonly errors: { operation: string; subject: string }[] = [];
  private constructor(readonly nc: NatsConnection) {
    (async () => {
      for await (const s of nc.status()) {
        if (s.type !== "error") continue;
        const e = s.error as { name?: string; operation?: string; subject?: string };
        if (e.name === "PermissionViolationError") {
          this.errors.push({ operation: e.operation!, subject: e.subject! });
        }
      }
    })();
  }

  static async open(url: string, user: keyof typeof PASSWORDS): Promise<Probe> {
    const nc = await connect({ servers: url, user, pass: PASSWORDS[user], name: `probe-${user}` });
    return new Probe(nc);
  }

  /**
   * The server sends its -ERR before the flush's PONG, but the client hands status events
   * to their iterator asynchronously: give it a turn of the event loop first.
   */
  private async denied(operation: string, subject: string) {
    await new Promise((r) => setTimeout(r, 20));
    return this.errors.some((e) => e.operation === operation && e.subject === subject);
  }

  /** Publish once; "denied" when the server answered with a permission violation. */
  async publish(subject: string): Promise<"allowed" | "denied"> {
    this.nc.publish(subject, new TextEncoder().encode("{}"));
    await this.nc.flush();
    return await this.denied("publish", subject) ? "denied" : "allowed";
  }

  async subscribe(subject: string): Promise<"allowed" | "denied"> {
    const sub = this.nc.subscribe(subject, { callback: () => {} });
    await this.nc.flush();
    sub.unsubscribe();
    return await this.denied("subscription", subject) ? "denied" : "allowed";
  }

  close() {
    return this.nc.close();
  }
}

/**
 * The server's answer to a CONNECT (+ PING) in the raw protocol: "PONG" when it let the
 * client in, "-ERR 'Authorization Violation'" when not. Raw TCP, so a refused client
 * leaves no library reconnect or socket behind.
 */
async function rawConnect(port: number, auth: { user?: string; pass?: string }) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const buf = new Uint8Array(4096);
    await conn.read(buf); // INFO
    const connect = JSON.stringify({ verbose: false, pedantic: false, ...auth });
    await conn.write(new TextEncoder().encode(`CONNECT ${connect}\r\nPING\r\n`));
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  } finally {
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
}

type Row = [op: "pub" | "sub", subject: string, want: "allowed" | "denied"];

async function assertMatrix(p: Probe, who: string, rows: Row[]) {
  const wrong: string[] = [];
  for (const [op, subject, want] of rows) {
    const got = op === "pub" ? await p.publish(subject) : await p.subscribe(subject);
    if (got !== want) wrong.push(`${who} ${op} ${subject}: ${got}, expected ${want}`);
  }
  assert.deepEqual(wrong, []);
}

const AGENT_MATRIX: Row[] = [
  // what an agent does
  ["pub", "heartbeat.PC-X", "allowed"],
  ["pub", "host_perf.PC-X", "allowed"],
  ["pub", "results.req-1", "allowed"],
  ["pub", "events.started.ex-1.PC-X", "allowed"],
  ["pub", "events.notifications.acked.PC-X.s1.n1", "allowed"],
  ["pub", "obs.PC-X", "allowed"],
  ["pub", "inventory.PC-X.apps", "allowed"],
  ["pub", "$KV.notifications_read.PC-X.alice", "allowed"],
  ["pub", "$O.result_output.C.abc", "allowed"],
  ["pub", "$JS.API.DIRECT.GET.KV_agent_config.$KV.agent_config.global", "allowed"],
  ["sub", "commands.all", "allowed"],
  ["sub", "commands.pc.PC-X", "allowed"],
  ["sub", "commands.group.canary", "allowed"],
  ["sub", "kill.*", "allowed"],
  ["sub", "agents.PC-X.ping", "allowed"],
  ["sub", "logs.fetch.PC-X", "allowed"],
  ["sub", "job.tail.PC-X", "allowed"],
  ["sub", "notifications.all", "allowed"],
  ["sub", "notifications.pc.PC-X", "allowed"],
  ["sub", "notif-amend", "allowed"],
  // what it must not: command PCs, forge audit or notifications, read others' telemetry
  ["pub", "commands.all", "denied"],
  ["pub", "commands.pc.PC-Y", "denied"],
  ["pub", "commands.group.canary", "denied"],
  ["pub", "kill.ex-1", "denied"],
  ["pub", "audit.operator.exec.job", "denied"],
  ["pub", "notifications.all", "denied"],
  ["pub", "notif-amend", "denied"],
  ["sub", "notifications.ledger.sent.n1", "denied"],
  ["pub", "kanade.changes.result", "denied"],
  ["pub", "agents.PC-Y.ping", "denied"],
  ["sub", "heartbeat.>", "denied"],
  ["sub", "results.>", "denied"],
  ["sub", "results.req-1", "denied"],
  ["sub", "audit.>", "denied"],
  ["sub", ">", "denied"],
  // manage streams or consumers it does not own
  ["pub", "$JS.API.STREAM.CREATE.EVIL", "denied"],
  ["pub", "$JS.API.STREAM.UPDATE.RESULTS", "denied"],
  ["pub", "$JS.API.STREAM.DELETE.RESULTS", "denied"],
  ["pub", "$JS.API.STREAM.PURGE.AUDIT", "denied"],
  ["pub", "$JS.API.CONSUMER.DELETE.RESULTS.backend_results_projector", "denied"],
  ["pub", "$JS.API.STREAM.MSG.DELETE.EXEC", "denied"],
  // write fleet state
  ["pub", "$KV.agent_config.global", "denied"],
  ["pub", "$KV.jobs.evil", "denied"],
  // read the accounts (password hashes, sealed MFA secrets) or the throttle counters
  [
    "pub",
    `$JS.API.DIRECT.GET.KV_${BUCKET.accounts}.$KV.${BUCKET.accounts}.${KEY_ACCOUNTS}`,
    "denied",
  ],
  ["pub", `$JS.API.STREAM.MSG.GET.KV_${BUCKET.accounts}`, "denied"],
  ["pub", `$JS.API.STREAM.INFO.KV_${BUCKET.accounts}`, "denied"],
  ["pub", `$JS.API.CONSUMER.CREATE.KV_${BUCKET.accounts}`, "denied"],
  ["pub", `$JS.API.CONSUMER.CREATE.KV_${BUCKET.accounts}.x.$KV.${BUCKET.accounts}.>`, "denied"],
  ["sub", `$KV.${BUCKET.accounts}.>`, "denied"],
  ["sub", "$KV.>", "denied"],
  ["pub", `$JS.API.DIRECT.GET.KV_${BUCKET.authThrottle}.>`, "denied"],
  // read the alert rules (webhook HMAC secrets)
  ["pub", `$JS.API.DIRECT.GET.KV_${BUCKET.alertRules}.$KV.${BUCKET.alertRules}.r1`, "denied"],
  ["pub", `$JS.API.STREAM.MSG.GET.KV_${BUCKET.alertRules}`, "denied"],
  ["pub", `$JS.API.CONSUMER.CREATE.KV_${BUCKET.alertRules}`, "denied"],
];

const CLI_MATRIX: Row[] = [
  ["pub", "commands.pc.PC-X", "allowed"],
  ["pub", "kill.ex-1", "allowed"],
  ["pub", "audit.operator.run.PC-X", "allowed"],
  ["sub", "results.req-1", "allowed"],
  ["pub", "commands.all", "denied"],
  ["pub", "commands.group.canary", "denied"],
  ["pub", "audit.admin.account.delete.x", "denied"],
  ["pub", "$JS.API.STREAM.DELETE.EXEC", "denied"],
  ["pub", `$JS.API.DIRECT.GET.KV_${BUCKET.accounts}.>`, "denied"],
  ["sub", "heartbeat.>", "denied"],
  ["sub", `$KV.${BUCKET.accounts}.>`, "denied"],
];

Deno.test({
  name: "broker permissions: shipped users, real flows as backend and agent, the role matrix",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const logDir = await Deno.makeTempDir({ prefix: "kanade-perm-" });
    const logFile = `${logDir}/nats.log`;
    const broker = await startNatsServer({ configFile: PERMISSIONS, env: SERVER_ENV, logFile });
    let fleet: Fleet | null = null;
    const be = await startTestBackend({
      broker,
      projectors: true,
      env: accountsEnv({ KANADE_NATS_USER: "backend", KANADE_NATS_PASSWORD: PASSWORDS.backend }),
    });
    const probes: Probe[] = [];
    try {
      await t.step("the production config parses with the same permissions", async () => {
        const bin = (await findNatsServer())!;
        const out = await new Deno.Command(bin, {
          args: ["-t", "-c", `${ROOT}deploy/nats-server.conf`],
          env: { ...SERVER_ENV, KANADE_NATS_STORE_DIR: logDir },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      });

      await t.step("no anonymous or wrong-password client gets in", async () => {
        assert.match(await rawConnect(broker.port, {}), /Authorization Violation/);
        assert.match(
          await rawConnect(broker.port, { user: "agent", pass: "guess" }),
          /Authorization Violation/,
        );
        assert.match(
          await rawConnect(broker.port, { user: "agent", pass: PASSWORDS.agent }),
          /^PONG/,
        );
      });

      await t.step("backend and fleet work under their own users", async () => {
        await call(be, be.token, "PUT", "/api/config", { heartbeat_interval: "1s" });
        fleet = await startFleet({
          natsUrl: broker.url,
          agents: 3,
          connections: 1,
          seed: 7,
          natsUser: "agent",
          natsPassword: PASSWORDS.agent,
        });
        await waitFor(async () => {
          const r = await be.request("/api/agents?status=online");
          return ((await r.json()) as unknown[]).length === 3;
        }, { what: "3 agents online", timeoutMs: 60_000 });
        const job = await be.request("/api/jobs", {
          method: "POST",
          headers: { "content-type": "application/yaml" },
          body:
            "id: perm-echo\nversion: 1.0.0\nexecute:\n  shell: powershell\n  script: echo permitted\n  timeout: 30s\n",
        });
        assert.equal(job.status, 200, await job.text());
        const ex = await call(be, be.token, "POST", "/api/exec/perm-echo", {
          target: { all: true },
        });
        assert.equal(ex.status, 200, JSON.stringify(ex.body));
        await waitFor(async () => {
          const r = await call(be, be.token, "GET", `/api/results?exec_id=${ex.body.exec_id}`);
          const rows = r.body as unknown as { stdout: string; finished_at: string | null }[];
          return rows.length === 3 &&
            rows.every((x) => x.finished_at && x.stdout === "permitted\n");
        }, { what: "3 results projected", timeoutMs: 60_000 });
        const pc = fleet!.pcIds[0];
        const ping = await call(be, be.token, "POST", `/api/agents/${pc}/ping?wait_secs=5`);
        assert.equal(ping.status, 200, JSON.stringify(ping.body));
        const logs = await be.request(`/api/agents/${pc}/logs?tail=5`);
        assert.equal(logs.status, 200, await logs.text());
        // The backend reads and writes the accounts bucket.
        await createAccount(be, "permitted", "permitted-pw-1", "viewer");
        assert.ok(await tokenFor(be, "permitted", "permitted-pw-1"));
      });

      await t.step("agent: the allow/deny matrix from the server's permission errors", async () => {
        const p = await Probe.open(broker.url, "agent");
        probes.push(p);
        await assertMatrix(p, "agent", AGENT_MATRIX);
        // And through the JetStream client: fleet KV readable, the accounts bucket not.
        const kvm = new Kvm(jetstream(p.nc, { timeout: 1_500 }));
        const cfg = await kvm.open(BUCKET.agentConfig, { bindOnly: true });
        assert.ok(await cfg.get("global"), "agent reads agent_config");
        // Binding needs no request; reading the entry is refused by the broker.
        const accounts = await kvm.open(BUCKET.accounts, { bindOnly: true });
        await assert.rejects(accounts.get(KEY_ACCOUNTS));
      });

      await t.step("cli: break-glass run and kill only", async () => {
        const p = await Probe.open(broker.url, "cli");
        probes.push(p);
        await assertMatrix(p, "cli", CLI_MATRIX);
      });

      await t.step("backend: may command and administer", async () => {
        const p = await Probe.open(broker.url, "backend");
        probes.push(p);
        await assertMatrix(p, "backend", [
          ["pub", "commands.all", "allowed"],
          ["pub", "$JS.API.STREAM.INFO.RESULTS", "allowed"],
          ["sub", "heartbeat.>", "allowed"],
          ["sub", "results.>", "allowed"],
        ]);
      });

      await t.step("the server log: no violation but the probes' own", async () => {
        for (const p of probes) await p.close();
        probes.length = 0;
        const log = await Deno.readTextFile(logFile);
        const violations = log.split("\n").filter((l) => /Violation/.test(l));
        assert.ok(violations.length > 0, "the probes' denials are logged");
        const others = violations.filter((l) => !/probe-(agent|cli)/.test(l));
        assert.deepEqual(others, [], "backend or fleet hit a permission it lacks");
      });
    } finally {
      for (const p of probes) await p.close().catch(() => {});
      await (fleet as Fleet | null)?.stop();
      await be.stop();
      await broker.stop();
      await Deno.remove(logDir, { recursive: true }).catch(() => {});
    }
  },
});
