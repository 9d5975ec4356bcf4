/**
 * Scale-out configuration (issue 10): the server list, replicas, node id, projection mode
 * and the remote libSQL URL forms of topology (a). No sqld can run here, so the remote form
 * is proven at the configuration boundary; the same SQL runs against a shared local file in
 * tests/scale_cluster_test.ts.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { ConfigError } from "../lib/errors.ts";
import { durableName, resetTargets } from "../projectors/mod.ts";
import { CONSUMER } from "../wire/names.ts";

const base = { KANADE_AUTH_STATIC_TOKEN: "t" };
const load = (env: Record<string, string>) => loadConfig({ env: { ...base, ...env }, args: [] });

Deno.test("scale config: accepted topologies", async (t) => {
  const cases: { name: string; env: Record<string, string>; check: Record<string, unknown> }[] = [
    {
      name: "defaults: one server, R1, shared",
      env: {},
      check: {
        natsServers: ["nats://127.0.0.1:4222"],
        jsReplicas: 1,
        projectionMode: "shared",
        nodeId: "node1",
      },
    },
    {
      name: "server list with blanks and spaces",
      env: { KANADE_NATS_URL: " nats://a:4222, nats://b:4222 ,,nats://c:4222" },
      check: { natsServers: ["nats://a:4222", "nats://b:4222", "nats://c:4222"] },
    },
    {
      name: "topology (a): remote libSQL (libsql://)",
      env: {
        KANADE_DB_URL: "libsql://kanade-db.internal:8080",
        KANADE_DB_AUTH_TOKEN: "jwt",
        KANADE_JS_REPLICAS: "3",
      },
      check: {
        dbUrl: "libsql://kanade-db.internal:8080",
        dbAuthToken: "jwt",
        jsReplicas: 3,
      },
    },
    {
      name: "topology (a): remote libSQL over http(s)",
      env: { KANADE_DB_URL: "https://db.example:8443" },
      check: { dbUrl: "https://db.example:8443" },
    },
    {
      name: "topology (b): local read model per node",
      env: {
        KANADE_PROJECTION_MODE: "local",
        KANADE_NODE_ID: "edge-2",
        KANADE_DB_URL: "file:/var/lib/kanade/edge-2.db",
      },
      check: { projectionMode: "local", nodeId: "edge-2" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const cfg = load(c.env) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(c.check)) assert.deepEqual(cfg[k], v, k);
    });
  }
});

Deno.test("scale config: refused values name the key", async (t) => {
  const cases: { env: Record<string, string>; key: string }[] = [
    { env: { KANADE_JS_REPLICAS: "0" }, key: "jsReplicas" },
    { env: { KANADE_JS_REPLICAS: "6" }, key: "jsReplicas" },
    { env: { KANADE_JS_REPLICAS: "three" }, key: "jsReplicas" },
    { env: { KANADE_PROJECTION_MODE: "per-node" }, key: "projectionMode" },
    // A node id becomes part of a durable name: no dots, spaces or wildcards.
    { env: { KANADE_NODE_ID: "edge.2" }, key: "nodeId" },
    { env: { KANADE_NODE_ID: "edge 2" }, key: "nodeId" },
    { env: { KANADE_NODE_ID: "x".repeat(65) }, key: "nodeId" },
    { env: { KANADE_DB_URL: "postgres://db/kanade" }, key: "dbUrl" },
    { env: { KANADE_NATS_URL: " , " }, key: "natsServers" },
  ];
  for (const c of cases) {
    await t.step(`${JSON.stringify(c.env)} → ${c.key}`, () => {
      assert.throws(() => load(c.env), (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match((e as Error).message, new RegExp(`config: ${c.key}`));
        return true;
      });
    });
  }
});

Deno.test("scale config: durable names per projection mode", () => {
  const shared = { config: load({}) };
  const local = { config: load({ KANADE_PROJECTION_MODE: "local", KANADE_NODE_ID: "n7" }) };
  for (const name of ["results", "events", "audit", "obs"] as const) {
    assert.equal(durableName(shared, name), CONSUMER[name], "shared: upstream name");
    assert.equal(durableName(local, name), `${CONSUMER[name]}_n7`, "local: <name>_<node>");
  }
  // The empty-table replay resets only this node's own durables in local mode.
  const targets = resetTargets(local, ["results", "events", "audit", "obs"]);
  assert.equal(targets.length, 4);
  assert.ok(targets.every((x) => x.durable.endsWith("_n7")));
});
