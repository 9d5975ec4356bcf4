import assert from "node:assert/strict";
import { isLoopback, loadConfig, splitBind } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { assertAuthConfigured } from "./auth.ts";

Deno.test("loadConfig() defaults", () => {
  const c = loadConfig({ env: {}, args: [] });
  assert.equal(c.bind, "127.0.0.1:8080");
  assert.deepEqual(c.natsServers, ["nats://127.0.0.1:4222"]);
  assert.equal(c.dbUrl, "file:./data/kanade.db");
  assert.equal(c.authDisable, false);
  assert.equal(c.jsReplicas, 1);
  assert.equal(c.aliveWindowSecs, 120);
});

Deno.test("loadConfig() reads an upstream backend.toml; the environment wins", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/backend.toml`;
  await Deno.writeTextFile(
    path,
    `[server]\nbind = "0.0.0.0:9090"\n[nats]\nurl = "nats://10.0.0.5:4222"\n[db]\nsqlite_path = "/var/lib/kanade/backend.db"\n[log]\npath = "logs/backend.log"\nlevel = "debug"\n`,
  );
  try {
    const c = loadConfig({ env: {}, args: ["--config", path] });
    assert.equal(c.bind, "0.0.0.0:9090");
    assert.deepEqual(c.natsServers, ["nats://10.0.0.5:4222"]);
    assert.equal(c.dbUrl, "file:/var/lib/kanade/backend.db");
    assert.equal(c.logLevel, "debug");
    const viaEnv = loadConfig({
      env: { KANADE_BACKEND_CONFIG: path, KANADE_BIND: "127.0.0.1:1" },
      args: [],
    });
    assert.equal(viaEnv.bind, "127.0.0.1:1");
    assert.equal(viaEnv.dbUrl, "file:/var/lib/kanade/backend.db");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() reports every bad key on its own line", () => {
  try {
    loadConfig({
      env: { KANADE_BIND: "nope", KANADE_JS_REPLICAS: "x", KANADE_DB_URL: "postgres://x" },
      args: [],
    });
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const lines = e.message.split("\n");
    assert.equal(lines.length, 3);
    assert.ok(lines.some((l) => l.startsWith("config: bind:")));
    assert.ok(lines.some((l) => l.startsWith("config: jsReplicas:")));
    assert.ok(lines.some((l) => l.startsWith("config: dbUrl:")));
  }
});

Deno.test("loadConfig() accepts a server list and a remote libSQL URL", () => {
  const c = loadConfig({
    env: {
      KANADE_NATS_URL: "nats://a:4222, nats://b:4222,nats://c:4222",
      KANADE_DB_URL: "libsql://db.example:8080",
      KANADE_DB_AUTH_TOKEN: "t",
      KANADE_AUTH_DISABLE: "",
    },
    args: [],
  });
  assert.deepEqual(c.natsServers, ["nats://a:4222", "nats://b:4222", "nats://c:4222"]);
  assert.equal(c.dbUrl, "libsql://db.example:8080");
  assert.equal(c.authDisable, true, "presence of KANADE_AUTH_DISABLE disables auth, as upstream");
});

Deno.test("assertAuthConfigured() refuses to start with no secret, token or dev switch", () => {
  assert.throws(
    () => assertAuthConfigured({ authDisable: false }),
    /no API auth configured/,
  );
  assertAuthConfigured({ authDisable: false, jwtSecret: "s" });
  assertAuthConfigured({ authDisable: false, staticToken: "t" });
  assertAuthConfigured({ authDisable: true });
});

Deno.test("splitBind() and isLoopback()", () => {
  assert.deepEqual(splitBind("[::1]:8080"), { hostname: "::1", port: 8080 });
  assert.deepEqual(splitBind("0.0.0.0:80"), { hostname: "0.0.0.0", port: 80 });
  assert.ok(isLoopback("127.0.0.1") && isLoopback("::1") && isLoopback("localhost"));
  assert.ok(!isLoopback("0.0.0.0"));
});

Deno.test("loadConfig() validates the projector and scheduler tuning knobs", () => {
  const c = loadConfig({
    env: {
      KANADE_PROJECTOR_BATCH: "200",
      KANADE_PROJECTOR_ACK_WAIT_SECS: "5",
      KANADE_PROJECTOR_PULL_MIB: "4",
      KANADE_SCHEDULER_LEASE_SECS: "3",
      KANADE_RESULTS_WRITER_THREAD: "1",
    },
    args: [],
  });
  assert.equal(c.projectorBatch, 200);
  assert.equal(c.projectorAckWaitSecs, 5);
  assert.equal(c.projectorPullMiB, 4);
  assert.equal(c.schedulerLeaseSecs, 3);
  assert.equal(c.resultsWriterThread, true);
  const dflt = loadConfig({ env: {}, args: [] });
  assert.equal(dflt.projectorBatch, undefined);
  assert.equal(dflt.projectorPullMiB, undefined);
  // The results writer thread is on unless turned off.
  assert.equal(dflt.resultsWriterThread, true);
  for (const off of ["0", "false", "off", " OFF "]) {
    const env = { KANADE_RESULTS_WRITER_THREAD: off };
    assert.equal(loadConfig({ env, args: [] }).resultsWriterThread, false, off);
  }
  assert.equal(
    loadConfig({ env: { KANADE_RESULTS_WRITER_THREAD: "" }, args: [] }).resultsWriterThread,
    true,
  );
  // The WAL checkpoint thread is on unless turned off.
  assert.equal(dflt.walCheckpointThread, true);
  const noCkpt = { KANADE_WAL_CHECKPOINT_THREAD: "off" };
  assert.equal(loadConfig({ env: noCkpt, args: [] }).walCheckpointThread, false);
  // Memory is given back after bursts unless turned off.
  assert.equal(dflt.memoryReturn, true);
  assert.equal(loadConfig({ env: { KANADE_MEMORY_RETURN: "0" }, args: [] }).memoryReturn, false);
  assert.throws(
    () => loadConfig({ env: { KANADE_MEMORY_RETURN: "later" }, args: [] }),
    /config: memoryReturn: must be 1 \(on\) or 0 \(off\)/,
  );
  assert.throws(
    () => loadConfig({ env: { KANADE_RESULTS_WRITER_THREAD: "maybe" }, args: [] }),
    /config: resultsWriterThread: must be 1 \(on\) or 0 \(off\)/,
  );
  assert.throws(
    () => loadConfig({ env: { KANADE_PROJECTOR_BATCH: "lots" }, args: [] }),
    /config: projectorBatch:/,
  );
});

Deno.test("loadConfig() KANADE_CHECK_STALE_DAYS: default 30, 0 turns it off, 0..3650 only", () => {
  assert.equal(loadConfig({ env: {}, args: [] }).checkStaleDays, 30);
  const days = (v: string) => loadConfig({ env: { KANADE_CHECK_STALE_DAYS: v }, args: [] });
  assert.equal(days("0").checkStaleDays, 0);
  assert.equal(days("3650").checkStaleDays, 3650);
  for (const bad of ["-1", "3651", "1.5", "soon"]) {
    assert.throws(
      () => days(bad),
      /^ConfigError: config: checkStaleDays: must be an integer 0\.\.3650$/m,
      bad,
    );
  }
});

Deno.test("loadConfig() KANADE_ALERT_MAX_AGE_SECS: default 3600, 60..604800 only", () => {
  assert.equal(loadConfig({ env: {}, args: [] }).alertMaxAgeSecs, 3600);
  const secs = (v: string) => loadConfig({ env: { KANADE_ALERT_MAX_AGE_SECS: v }, args: [] });
  assert.equal(secs("60").alertMaxAgeSecs, 60);
  assert.equal(secs("604800").alertMaxAgeSecs, 604_800);
  for (const bad of ["59", "604801", "1.5", "soon"]) {
    assert.throws(
      () => secs(bad),
      /^ConfigError: config: alertMaxAgeSecs: must be an integer 60\.\.604800$/m,
      bad,
    );
  }
});

Deno.test("loadConfig(): account settings, defaults and refusals", () => {
  const c = loadConfig({ env: {}, args: [] });
  assert.deepEqual(
    [c.bootstrapAdminUser, c.bootstrapAdminPassword, c.mfaKey, c.sessionTtlHours, c.loginLockSecs],
    ["admin", undefined, undefined, 12, 900],
  );
  const key = btoa(String.fromCharCode(...new Uint8Array(32).fill(1)));
  const ok = loadConfig({
    env: {
      KANADE_BOOTSTRAP_ADMIN_USER: " root ",
      KANADE_BOOTSTRAP_ADMIN_PASSWORD: "ééééé日本語",
      KANADE_MFA_KEY: key,
      KANADE_SESSION_TTL_HOURS: "24",
      KANADE_LOGIN_LOCK_SECS: "60",
    },
    args: [],
  });
  assert.deepEqual([ok.bootstrapAdminUser, ok.mfaKey, ok.sessionTtlHours], ["root", key, 24]);
  assert.throws(
    () =>
      loadConfig({
        env: {
          KANADE_BOOTSTRAP_ADMIN_PASSWORD: "short",
          KANADE_MFA_KEY: "not-a-key",
          KANADE_SESSION_TTL_HOURS: "0",
          KANADE_LOGIN_LOCK_SECS: "86401",
        },
        args: [],
      }),
    (e: Error) => {
      const lines = e.message.split("\n");
      assert.equal(lines.length, 4, e.message);
      assert.match(e.message, /config: bootstrapAdminPassword: must be at least 8 characters/);
      assert.match(e.message, /config: mfaKey: must be 32 random bytes in base64/);
      return true;
    },
  );
});
