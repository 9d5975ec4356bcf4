/**
 * main.ts as an operator runs it: refusals at start-up, serving, a graceful SIGTERM,
 * and a second start against the same broker and DB changing nothing.
 */
import assert from "node:assert/strict";
import { freePort, startNatsServer } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/backend.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function run(args: string[], env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", KANADE_LOG_LEVEL: "error", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("main.ts refuses to start without any API auth configured", async () => {
  const out = await run(["--api"], { PATH: Deno.env.get("PATH") ?? "" }).output();
  assert.equal(out.code, 2);
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.equal(err.split("\n").length, 1, err);
  assert.match(err, /no API auth configured/);
});

Deno.test("main.ts refuses a non-loopback bind with auth disabled", async () => {
  const out = await run(["--api"], { KANADE_AUTH_DISABLE: "1", KANADE_BIND: "0.0.0.0:0" }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /--insecure-bind/);
});

Deno.test("main.ts reports a bad config value as one line", async () => {
  const out = await run(["--api"], { KANADE_AUTH_STATIC_TOKEN: "t", KANADE_BIND: "nonsense" })
    .output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /^config: bind: must be host:port/);
});

Deno.test("main.ts serves, stops on SIGTERM, and a second start changes nothing", async () => {
  const broker = await startNatsServer();
  const dir = await Deno.makeTempDir();
  try {
    const startOnce = async () => {
      const port = freePort();
      const child = run([], {
        KANADE_NATS_URL: broker.url,
        KANADE_DB_URL: `file:${dir}/k.db`,
        KANADE_AUTH_STATIC_TOKEN: "tok",
        KANADE_BIND: `127.0.0.1:${port}`,
      }).spawn();
      const base = `http://127.0.0.1:${port}`;
      const health = await waitFor(async () => {
        const r = await fetch(`${base}/health`);
        return r.ok ? await r.text() : null;
      }, { timeoutMs: 30_000, what: "health" });
      assert.equal(health, "ok");
      const status = await (await fetch(`${base}/api/jetstream/status`, {
        headers: { authorization: "Bearer tok" },
      })).json();
      const all = [...status.streams, ...status.kv_buckets, ...status.object_stores];
      assert.ok(all.length > 15 && all.every((r: { exists: boolean }) => r.exists));
      child.kill("SIGTERM");
      const st = await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
      assert.equal(st.code, 0, "graceful shutdown exits 0");
    };
    await startOnce();
    const infoBefore = await (await import("./helpers/js_snapshot.ts")).snapshot(broker.url);
    await startOnce();
    const infoAfter = await (await import("./helpers/js_snapshot.ts")).snapshot(broker.url);
    assert.deepEqual(infoAfter, infoBefore, "second start changed no JetStream config");
  } finally {
    await broker.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a handler file is served alone with `deno serve` (edge split)", async () => {
  const broker = await startNatsServer();
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "-A",
      "--port",
      String(port),
      new URL("../handlers/version/version.ts", import.meta.url).pathname,
    ],
    env: {
      NO_COLOR: "1",
      KANADE_NATS_URL: broker.url,
      KANADE_DB_URL: `file:${dir}/k.db`,
      KANADE_AUTH_STATIC_TOKEN: "tok",
      KANADE_LOG_LEVEL: "error",
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const body = await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/api/version`);
      return r.ok ? await r.json() : null;
    }, { timeoutMs: 30_000, what: "standalone version route" });
    assert.equal(body.version, "0.43.45");
    const other = await fetch(`http://127.0.0.1:${port}/api/jobs`, {
      headers: { authorization: "Bearer tok" },
    });
    assert.equal(other.status, 404, "only the one route is served");
    await other.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await broker.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("the whole API and dashboard run under `deno serve --parallel`", async () => {
  const broker = await startNatsServer();
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const env = {
    NO_COLOR: "1",
    KANADE_NATS_URL: broker.url,
    KANADE_DB_URL: `file:${dir}/k.db`,
    KANADE_AUTH_STATIC_TOKEN: "tok",
    KANADE_LOG_LEVEL: "error",
  };
  // Bootstrap first, as an operator would (`deno task setup`).
  const setup = await run(["--setup"], env).output();
  assert.equal(setup.code, 0, new TextDecoder().decode(setup.stderr));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--parallel",
      "-A",
      "--port",
      String(port),
      new URL("../handlers/serve_all.ts", import.meta.url).pathname,
    ],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health`)).ok, {
      timeoutMs: 60_000,
      what: "health",
    });
    for (let i = 0; i < 4; i++) {
      const jobs = await fetch(`${base}/api/jobs`, { headers: { authorization: "Bearer tok" } });
      assert.equal(jobs.status, 200);
      assert.deepEqual(await jobs.json(), []);
    }
    const page = await fetch(`${base}/dashboard`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    await page.body?.cancel();
    const unauth = await fetch(`${base}/api/jobs`);
    assert.equal(unauth.status, 401);
    await unauth.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await broker.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
