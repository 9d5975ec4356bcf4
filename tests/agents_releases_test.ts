/**
 * Releases and rollout end to end with a real broker: publishing a PE binary built by the
 * test (version read from its VERSIONINFO) and a non-PE one (version field), the 400/404/409
 * cases, and a rollout to a group spreading as agents (wire-speaking doubles that update
 * themselves like the real agent) report the new version through heartbeats and the
 * heartbeat projector into the `agents` table.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { buildPe } from "./helpers/pe_fixture.ts";
import { connectNats, type Nats } from "../lib/nats.ts";
import { BUCKET, KEY_AGENT_CONFIG_GLOBAL, OBJECT_STORE, subjects } from "../wire/names.ts";
import {
  type ConfigScope,
  ConfigScopeSchema,
  resolveEffectiveConfig,
} from "../wire/config_scope.ts";
import { decodeAgentGroups } from "../wire/agent_groups.ts";
import { encodeHeartbeat } from "../wire/messages.ts";
import { wireTs } from "../wire/time.ts";

const ELF = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(56).fill(0)]);

async function publish(
  b: TestBackend,
  bytes: Uint8Array | null,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  if (bytes) form.append("file", new Blob([bytes as Uint8Array<ArrayBuffer>]), "kanade-agent.exe");
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await b.request("/api/agents/publish", { method: "POST", body: form });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

/**
 * A self-updating agent double: heartbeats every 100 ms with its version; when its effective
 * `target_version` (KV agent_config + agent_groups, resolved like the agent) differs and the
 * release exists in `agent_releases`, it downloads it and "restarts" on that version —
 * unless held back by the test.
 */
class UpdatingAgent {
  held = false;
  downloads = 0;
  private timer?: ReturnType<typeof setInterval>;
  private busy = false;
  constructor(readonly nats: Nats, readonly pcId: string, public version: string) {}

  start() {
    this.timer = setInterval(() => this.tick(), 100);
  }
  stop() {
    clearInterval(this.timer);
  }

  private async scope(key: string): Promise<ConfigScope | null> {
    const e = await (await this.nats.kv(BUCKET.agentConfig)).get(key);
    if (!e || e.operation !== "PUT") return null;
    return ConfigScopeSchema.parse(e.json());
  }

  private async tick() {
    if (this.busy) return;
    this.busy = true;
    try {
      const ge = await (await this.nats.kv(BUCKET.agentGroups)).get(this.pcId);
      const groups = ge && ge.operation === "PUT" ? decodeAgentGroups(ge.json()) : [];
      const groupScopes = [];
      for (const g of groups) {
        const s = await this.scope(`groups.${g}`);
        if (s) groupScopes.push({ name: g, scope: s });
      }
      const { effective } = resolveEffectiveConfig(
        await this.scope(KEY_AGENT_CONFIG_GLOBAL),
        groupScopes,
        await this.scope(`pcs.${this.pcId}`),
      );
      const target = effective.target_version;
      if (target && target !== this.version && !this.held) {
        const os = await this.nats.obj(OBJECT_STORE.agentReleases);
        const blob = await os.getBlob(target);
        if (blob && blob.length > 0) {
          this.downloads++;
          this.version = target;
        }
      }
      this.nats.nc.publish(
        subjects.heartbeat(this.pcId),
        JSON.stringify(encodeHeartbeat({
          pc_id: this.pcId,
          at: wireTs(Date.now()),
          agent_version: this.version,
          hostname: this.pcId.toLowerCase(),
          os_family: "windows",
        })),
      );
    } catch {
      /* transient: next tick */
    } finally {
      this.busy = false;
    }
  }
}

Deno.test("releases: publish, list, delete", async (t) => {
  const b = await startTestBackend();
  try {
    await t.step("a PE binary is published under its VERSIONINFO version", async () => {
      const pe = buildPe({
        productVersion: "0.50.0",
        fileVersion: "0.50.0.0",
        fixed: [0, 50, 0, 0],
      });
      const r = await publish(b, pe);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.version, "0.50.0");
      assert.equal(r.body.size, pe.length);
      assert.equal(r.body.platform, "windows");
      assert.match(r.body.digest, /^SHA-256=/);
      const stored = await (await b.deps.nats.obj(OBJECT_STORE.agentReleases)).getBlob("0.50.0");
      assert.deepEqual(new Uint8Array(stored!), pe);
    });

    await t.step("a non-PE binary needs the version field", async () => {
      const missing = await publish(b, ELF);
      assert.equal(missing.status, 400);
      assert.match(missing.body.error, /version/);
      const r = await publish(b, ELF, { version: "0.51.0" });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual([r.body.version, r.body.platform], ["0.51.0", "linux"]);
    });

    await t.step(
      "400: missing file, empty file, no VERSIONINFO, not multipart, bad version",
      async () => {
        assert.equal((await publish(b, null, { version: "1.0.0" })).status, 400);
        assert.equal((await publish(b, new Uint8Array(0))).status, 400);
        assert.equal((await publish(b, buildPe({}))).status, 400);
        assert.equal((await publish(b, ELF, { version: "../../etc" })).status, 400);
        assert.equal(
          (await publish(b, buildPe({ productVersion: "0.50.0" }), { version: "0.49.0" })).status,
          400,
        );
        const json = await b.call("POST", "/api/agents/publish", { file: "x" });
        assert.equal(json.status, 400);
      },
    );

    await t.step("a multi-MiB binary round-trips; over 64 MiB is 413", async () => {
      const pe = buildPe({ productVersion: "0.52.0" });
      const big = new Uint8Array(pe.length + 3 * 1024 * 1024 + 17);
      big.set(pe); // trailing overlay data keeps the PE valid
      for (let i = pe.length; i < big.length; i++) big[i] = i & 0xff;
      const r = await publish(b, big);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.size, big.length);
      const stored = await (await b.deps.nats.obj(OBJECT_STORE.agentReleases)).getBlob("0.52.0");
      assert.equal(stored?.length, big.length);
      assert.equal(stored?.[big.length - 1], (big.length - 1) & 0xff);
      const tooBig = await publish(b, new Uint8Array(64 * 1024 * 1024 + 1024), {
        version: "9.0.0",
      });
      assert.equal(tooBig.status, 413);
      assert.equal(await (await b.deps.nats.obj(OBJECT_STORE.agentReleases)).info("9.0.0"), null);
      assert.equal((await b.call("DELETE", "/api/agents/releases/0.52.0")).status, 204);
    });

    await t.step(
      "list: newest first with {version, platform, size, digest, modified}",
      async () => {
        const r = await b.call("GET", "/api/agents/releases");
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.map((x: { version: string }) => x.version), ["0.51.0", "0.50.0"]);
        assert.deepEqual(Object.keys(r.body[0]), [
          "version",
          "platform",
          "size",
          "digest",
          "modified",
        ]);
        assert.ok(Date.parse(r.body[0].modified) > 0);
      },
    );

    await t.step("delete: 204, then 404; bad version 400", async () => {
      assert.equal((await b.call("DELETE", "/api/agents/releases/0.51.0")).status, 204);
      assert.equal((await b.call("DELETE", "/api/agents/releases/0.51.0")).status, 404);
      assert.equal((await b.call("DELETE", "/api/agents/releases/no%20such")).status, 400);
      const r = await b.call("GET", "/api/agents/releases");
      assert.deepEqual(r.body.map((x: { version: string }) => x.version), ["0.50.0"]);
    });

    await t.step("publish and delete are audited", async () => {
      const m = await b.deps.nats.jsm.streams.getMessage("AUDIT", {
        last_by_subj: "audit.operator.agent_publish.0.50.0",
      });
      assert.ok(m);
      assert.equal(m.json<{ payload: { version: string } }>().payload.version, "0.50.0");
    });
  } finally {
    await b.stop();
  }
});

Deno.test("rollout to a group spreads as agents report the version", async (t) => {
  const b = await startTestBackend({ projectors: ["heartbeat"] });
  const agentNats = await connectNats({ natsServers: [b.broker.url] });
  const agents = ["RA1", "RA2", "RA3"].map((pc) => new UpdatingAgent(agentNats, pc, "0.49.0"));
  const [a1, a2, a3] = agents;
  const status = async () =>
    (await b.call("GET", "/api/agents/rollout/status?version=0.50.0")).body;
  try {
    assert.equal((await publish(b, buildPe({ productVersion: "0.50.0" }))).status, 200);
    await b.json("PUT", "/api/agents/RA1/groups", { groups: ["wave1"] });
    await b.json("POST", "/api/agents/RA2/groups", { group: "wave1" });
    a2.held = true;
    for (const a of agents) a.start();
    await waitFor(async () => {
      const rs = await b.deps.db.execute(
        "SELECT COUNT(*) AS n FROM agents WHERE agent_version = '0.49.0'",
      );
      return Number(rs.rows[0].n) === 3;
    }, { what: "three agents projected from heartbeats" });

    await t.step("input errors: 404 unknown version, 400 bad scope/jitter", async () => {
      const unknown = await b.call("POST", "/api/agents/rollout", {
        version: "9.9.9",
        scope: { type: "global" },
      });
      assert.equal(unknown.status, 404);
      for (
        const body of [
          { version: "0.50.0", scope: { type: "cluster" } },
          { version: "0.50.0", scope: { type: "group" } },
          { version: "0.50.0", scope: { type: "group", value: "a.b" } },
          { version: "0.50.0", scope: { type: "global" }, jitter: "a while" },
          { scope: { type: "global" } },
        ]
      ) {
        assert.equal(
          (await b.call("POST", "/api/agents/rollout", body)).status,
          400,
          JSON.stringify(body),
        );
      }
      assert.deepEqual((await status()).scopes, []);
    });

    await t.step(
      "rollout answers {version, scope_key, scope_label, jitter} and sets the scope",
      async () => {
        const r = await b.call("POST", "/api/agents/rollout", {
          version: "0.50.0",
          scope: { type: "group", value: "wave1" },
          jitter: "1m",
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body, {
          version: "0.50.0",
          scope_key: "groups.wave1",
          scope_label: "group:wave1",
          jitter: "1m",
        });
        assert.deepEqual(await b.json("GET", "/api/groups/wave1/config"), {
          target_version: "0.50.0",
          target_version_jitter: "1m",
        });
      },
    );

    await t.step(
      "status: one member updated, one still behind, the outsider not counted",
      async () => {
        const s = await waitFor(async () => {
          const s = await status();
          return s.on_target === 1 ? s : null;
        }, { what: "RA1 to report 0.50.0" });
        assert.equal(s.total, 2);
        assert.equal(s.remaining, 1);
        assert.equal(s.scopes.length, 1);
        assert.deepEqual(
          {
            key: s.scopes[0].scope_key,
            total: s.scopes[0].total,
            on: s.scopes[0].on_target,
            jitter: s.scopes[0].jitter,
          },
          { key: "groups.wave1", total: 2, on: 1, jitter: "1m" },
        );
        const byPc = Object.fromEntries(
          s.agents.map((a: { pc_id: string; on_target: boolean }) => [a.pc_id, a]),
        );
        assert.equal(byPc.RA1.on_target, true);
        assert.equal(byPc.RA2.on_target, false);
        assert.equal(byPc.RA3, undefined);
        assert.equal(a3.version, "0.49.0");
      },
    );

    await t.step("the held agent catches up: the rollout completes", async () => {
      a2.held = false;
      const s = await waitFor(async () => {
        const s = await status();
        return s.on_target === 2 ? s : null;
      }, { what: "RA2 to report 0.50.0" });
      assert.equal(s.remaining, 0);
      assert.equal(a3.version, "0.49.0", "agents outside the group stay put");
      assert.equal(a1.downloads, 1);
    });

    await t.step(
      "a targeted release cannot be deleted (409) until the scope moves on",
      async () => {
        const r = await b.call("DELETE", "/api/agents/releases/0.50.0");
        assert.equal(r.status, 409);
        assert.match(r.body.error, /groups\.wave1/);
        await b.json("PUT", "/api/groups/wave1/config", { target_version_jitter: "1m" });
        assert.equal((await b.call("DELETE", "/api/agents/releases/0.50.0")).status, 204);
      },
    );

    await t.step("rollout is audited with its scope", async () => {
      const m = await b.deps.nats.jsm.streams.getMessage("AUDIT", {
        last_by_subj: "audit.operator.agent_rollout.0.50.0",
      });
      assert.ok(m);
      assert.equal(m.json<{ payload: { scope_key: string } }>().payload.scope_key, "groups.wave1");
    });
  } finally {
    for (const a of agents) a.stop();
    await agentNats.close();
    await b.stop();
  }
});
