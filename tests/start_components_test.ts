/**
 * The one start-up path (lib/start.ts): components start in order on real deps and stop in
 * reverse, a failed start unwinds what had started, and an API's auth configuration is
 * checked before anything connects.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { ConfigError } from "../lib/errors.ts";
import { component } from "../lib/component.ts";
import { checkApiConfig, devStoreDir, startComponents, type Starter } from "../lib/start.ts";
import { setLogLevel } from "../lib/log.ts";
import { startNatsServer } from "./helpers/nats_server.ts";

setLogLevel("error");

function configFor(env: Record<string, string>) {
  return loadConfig({ args: [], env });
}

Deno.test("checkApiConfig(): auth required; auth off only on loopback or when opted in", () => {
  const ok = (env: Record<string, string>, api: "listen" | "serve") =>
    checkApiConfig(configFor(env), api);
  const refused = (env: Record<string, string>, api: "listen" | "serve", re: RegExp) =>
    assert.throws(() => ok(env, api), (e) => e instanceof ConfigError && re.test(e.message));
  refused({}, "listen", /no API auth configured/);
  ok({ KANADE_AUTH_STATIC_TOKEN: "t", KANADE_BIND: "0.0.0.0:8080" }, "listen");
  ok({ KANADE_AUTH_DISABLE: "1" }, "listen");
  refused({ KANADE_AUTH_DISABLE: "1", KANADE_BIND: "0.0.0.0:8080" }, "listen", /--insecure-bind/);
  refused({ KANADE_AUTH_DISABLE: "1" }, "serve", /KANADE_INSECURE_BIND=1/);
  ok({ KANADE_AUTH_DISABLE: "1", KANADE_INSECURE_BIND: "1" }, "serve");
});

Deno.test("devStoreDir(): the dev broker's store sits beside a local DB file", () => {
  const table: [string, string][] = [
    ["file:./data/kanade.db", "./data/nats"],
    ["file:/tmp/x/k.db", "/tmp/x/nats"],
    ["file:k.db", "./nats"],
    ["file:/k.db", "/nats"],
    ["http://db:8080", "./data/nats"],
    ["libsql://db.example", "./data/nats"],
  ];
  for (const [url, dir] of table) assert.equal(devStoreDir(url), dir, url);
});

Deno.test("startComponents(): order, reverse stop, unwinding a failed start", async (t) => {
  const broker = await startNatsServer();
  const dir = await Deno.makeTempDir();
  const config = configFor({
    KANADE_NATS_URL: broker.url,
    KANADE_DB_URL: `file:${dir}/k.db`,
    KANADE_AUTH_STATIC_TOKEN: "t",
  });
  const events: string[] = [];
  const starter = (name: string): Starter => (deps) => {
    assert.ok(deps.nats && deps.db, "components start on ready deps");
    events.push(`start ${name}`);
    return component(name, () => void events.push(`stop ${name}`));
  };
  try {
    await t.step("components start in order and stop in reverse, then the deps close", async () => {
      const running = await startComponents(config, [starter("a"), starter("b"), starter("c")], {
        signals: false,
      });
      assert.deepEqual(running.components.map((c) => c.name), ["a", "b", "c"]);
      const rows = await running.deps.db.execute("SELECT COUNT(*) AS n FROM _migrations");
      assert.ok(Number(rows.rows[0].n) > 0, "migrated");
      await Promise.all([running.stop(), running.stop()]); // idempotent
      await running.stopped;
      assert.deepEqual(events, ["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
      assert.ok(running.deps.nats.nc.isClosed(), "NATS closed");
    });

    await t.step("a component that fails to start stops the ones before it", async () => {
      events.length = 0;
      const boom: Starter = () => {
        throw new Error("boom");
      };
      await assert.rejects(
        startComponents(config, [starter("a"), boom, starter("c")], { signals: false }),
        /boom/,
      );
      assert.deepEqual(events, ["start a", "stop a"]);
    });

    await t.step(
      "a component that never stops is left behind after its grace; the rest stop",
      async () => {
        events.length = 0;
        const stuck: Starter = () => {
          events.push("start stuck");
          return { name: "stuck", stop: () => new Promise<void>(() => {}) };
        };
        const running = await startComponents(config, [starter("a"), stuck, starter("c")], {
          signals: false,
          stopGraceMs: 300,
        });
        await running.stop();
        assert.deepEqual(events, ["start a", "start stuck", "start c", "stop c", "stop a"]);
        assert.ok(running.deps.nats.nc.isClosed(), "NATS closed");
      },
    );

    await t.step("an API with no auth configured is refused before anything starts", async () => {
      events.length = 0;
      const noAuth = configFor({ KANADE_NATS_URL: broker.url, KANADE_DB_URL: `file:${dir}/k.db` });
      await assert.rejects(
        startComponents(noAuth, [starter("a")], { api: "listen", signals: false }),
        ConfigError,
      );
      assert.deepEqual(events, []);
    });
  } finally {
    await broker.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
