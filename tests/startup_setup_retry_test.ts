/**
 * A backend starting while its JetStream cluster cannot answer (two of three nodes down:
 * no meta leader) waits for the cluster instead of exiting, and bootstraps its R3
 * resources once the nodes are back.
 */
import assert from "node:assert/strict";
import { startCluster, waitJetStreamReady } from "./helpers/cluster.ts";
import { loadConfig } from "../lib/config.ts";
import { closeDeps, createDeps } from "../lib/deps.ts";
import { isStartupTransient } from "../lib/nats.ts";
import { STREAM } from "../wire/names.ts";
import { setLogLevel } from "../lib/log.ts";

Deno.test("start-up bootstrap rides out a cluster that cannot answer yet", async () => {
  setLogLevel("error");
  const cluster = await startCluster({ size: 3 });
  const dir = await Deno.makeTempDir({ prefix: "kanade-setup-retry-" });
  try {
    await waitJetStreamReady(cluster.urls);
    await Promise.all([cluster.nodes[1].kill(), cluster.nodes[2].kill()]);
    const config = loadConfig({
      env: {
        KANADE_NATS_URL: cluster.urls[0],
        KANADE_JS_REPLICAS: "3",
        KANADE_DB_URL: `file:${dir}/kanade.db`,
        KANADE_AUTH_STATIC_TOKEN: "t",
      },
    });
    let settled = false;
    const starting = createDeps(config).finally(() => settled = true);
    starting.catch(() => {});
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(settled, false, "start-up waits while the cluster cannot answer");
    await Promise.all([cluster.nodes[1].start(), cluster.nodes[2].start()]);
    const deps = await starting;
    try {
      const info = await deps.nats.jsm.streams.info(STREAM.results);
      assert.equal(info.config.num_replicas, 3);
    } finally {
      await closeDeps(deps);
    }
  } finally {
    await cluster.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("isStartupTransient: waits on silence and elections, not on a refusal", () => {
  assert.equal(
    isStartupTransient(Object.assign(new Error("timeout"), { name: "TimeoutError" })),
    true,
  );
  assert.equal(isStartupTransient(new Error("JetStream system temporarily unavailable")), true);
  assert.equal(isStartupTransient(new Error("no suitable peers for placement")), true);
  assert.equal(
    isStartupTransient(new Error("stream name already in use with a different configuration")),
    false,
  );
});
