import assert from "node:assert/strict";
import { startTestBackend } from "./helpers/backend.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { migrate } from "../db/migrate.ts";
import { KV_BUCKETS, OBJECT_STORES, STREAMS } from "../wire/resources.ts";

Deno.test("foundation: bootstrap, status, migrations and auth against a real broker", async (t) => {
  const be = await startTestBackend();
  try {
    await t.step("GET /health is public text ok", async () => {
      const res = await be.request("/health", { headers: { authorization: "" } });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "ok");
    });

    await t.step("GET /api/jetstream/status shows every resource existing", async () => {
      const s = await be.json<{
        streams: { name: string; exists: boolean }[];
        kv_buckets: { name: string; exists: boolean }[];
        object_stores: { name: string; exists: boolean }[];
      }>("GET", "/api/jetstream/status");
      assert.deepEqual(s.streams.map((x) => x.name), STREAMS.map((x) => x.name));
      assert.deepEqual(s.kv_buckets.map((x) => x.name), KV_BUCKETS.map((k) => `KV_${k.bucket}`));
      assert.deepEqual(
        s.object_stores.map((x) => x.name),
        OBJECT_STORES.map((o) => `OBJ_${o.bucket}`),
      );
      for (const r of [...s.streams, ...s.kv_buckets, ...s.object_stores]) {
        assert.ok(r.exists, r.name);
      }
    });

    await t.step("a second bootstrap and migrate change nothing", async () => {
      const before = await be.deps.nats.jsm.streams.info("EXEC");
      const report = await setupJetStream(be.deps.nats);
      assert.deepEqual(report.created, []);
      assert.deepEqual(report.updated, []);
      const after = await be.deps.nats.jsm.streams.info("EXEC");
      assert.deepEqual(after.config, before.config);
      assert.equal(after.config.max_msgs_per_subject, 1);
      assert.deepEqual(await migrate(be.deps.db), []);
    });

    await t.step("a drifted stream limit is reconciled", async () => {
      const info = await be.deps.nats.jsm.streams.info("EVENTS");
      await be.deps.nats.jsm.streams.update("EVENTS", { ...info.config, max_bytes: 1024 * 1024 });
      const report = await setupJetStream(be.deps.nats);
      assert.deepEqual(report.updated, ["EVENTS"]);
      const fixed = await be.deps.nats.jsm.streams.info("EVENTS");
      assert.equal(fixed.config.max_bytes, 256 * 1024 * 1024);
    });

    await t.step("/api/* without a token is 401 JSON; /api/version is public", async () => {
      const res = await be.request("/api/jetstream/status", {
        headers: { authorization: "Bearer nope" },
      });
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: "invalid static token", status: 401 });
      const v = await be.request("/api/version", { headers: { authorization: "" } });
      assert.equal(v.status, 200);
      assert.equal((await v.json()).version, "0.43.45");
    });

    await t.step("an unknown API route is a JSON 404 after auth", async () => {
      const res = await be.request("/api/no-such-thing");
      assert.equal(res.status, 404);
      assert.match((await res.json()).error, /no route/);
    });
  } finally {
    await be.stop();
  }
});
