/**
 * Rollout waves across API processes (issue 10): an exec with a delayed second wave is
 * accepted by one API process, which is SIGKILLed before the wave is due; another API
 * process publishes the wave from KV `pending_waves` — exactly once, although both
 * processes watch the bucket and race for the claim while they both live.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { type BackendProcess, spawnBackend, tapCommands } from "./helpers/cluster.ts";
import { startNatsServer } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/backend.ts";
import { startFleet } from "../simulator/fleet.ts";
import { BUCKET, subjects } from "../wire/names.ts";

const TOKEN = "scale-waves-token-0123456789abcdef";

const JOB = `id: waves
version: 1.0.0
description: scale waves
execute:
  shell: powershell
  script: |
    echo wave
  timeout: 60s
`;

Deno.test({
  name: "scale waves: a delayed wave survives the SIGKILL of the API process that took the exec",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startNatsServer();
    const dir = await Deno.makeTempDir({ prefix: "kanade-scale-waves-" });
    const procs: BackendProcess[] = [];
    let fleet: Awaited<ReturnType<typeof startFleet>> | null = null;
    let tap: Awaited<ReturnType<typeof tapCommands>> | null = null;
    const nc = await connect({ servers: broker.url });
    try {
      const common = {
        servers: [broker.url],
        dbUrl: `file:${dir}/shared.db`,
        token: TOKEN,
        logDir: dir,
        replicas: 1,
      };
      // Two API processes; the second also projects (agents must be alive for target_count).
      const a = await spawnBackend({ ...common, nodeId: "api1", args: ["--api"] });
      procs.push(a);
      const b = await spawnBackend({ ...common, nodeId: "api2", args: ["--api", "--projectors"] });
      procs.push(b);
      const reg = await a.request("/api/jobs", {
        method: "POST",
        headers: { "content-type": "application/yaml" },
        body: JOB,
      });
      assert.ok(reg.ok, await reg.text());

      const groups: Record<string, string[]> = {
        "PC-01": ["canary"],
        "PC-02": ["canary"],
        "PC-03": ["rest"],
        "PC-04": ["rest"],
        "PC-05": ["rest"],
      };
      fleet = await startFleet({
        natsUrl: broker.url,
        agents: Object.keys(groups),
        groups,
        writeGroups: true,
        heartbeatIntervalMs: 2_000,
      });
      await waitFor(async () => {
        const r = await b.request("/api/agents");
        return r.ok && (await r.json() as unknown[]).length === 5;
      }, { timeoutMs: 20_000, what: "agents alive" });
      tap = await tapCommands([broker.url], subjects.commandsGroup("rest"));

      const r = await a.request("/api/exec/waves", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          rollout: { waves: [{ group: "canary", delay: "0s" }, { group: "rest", delay: "3s" }] },
        }),
      });
      const body = await r.text();
      assert.equal(r.status, 200, body);
      const execId = JSON.parse(body).exec_id as string;
      // The process that accepted the exec (and armed the wave timer) dies at once.
      await a.kill();

      const kv = await new Kvm(jetstream(nc)).open(BUCKET.pendingWaves, { bindOnly: true });
      const state = async () => {
        const e = await kv.get(execId);
        return e ? (JSON.parse(e.string()).waves as { state: string }[]).map((w) => w.state) : [];
      };
      assert.deepEqual(await state(), ["published", "pending"], "wave 2 persisted, pending");
      await waitFor(async () => (await state())[1] === "published", {
        timeoutMs: 20_000,
        what: "wave 2 published by the surviving process",
      });
      await waitFor(() => fleet!.results().filter((x) => x.exec_id === execId).length >= 5, {
        timeoutMs: 20_000,
        what: "all five PCs answered",
      });
      await new Promise((res) => setTimeout(res, 1_500)); // a second publish would land here
      assert.equal(tap.raw(), 1, "wave 2 published exactly once");
      const ran = fleet.results().filter((x) => x.exec_id === execId).map((x) => x.pc_id).sort();
      assert.deepEqual(ran, Object.keys(groups), "each PC ran once");
    } finally {
      await tap?.stop();
      await fleet?.stop().catch(() => {});
      for (const p of procs) await p.stop(5_000).catch(() => {});
      await nc.close().catch(() => {});
      await broker.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
