/**
 * The backend in-process for integration tests: a private broker, a temp DB, real deps,
 * the full router, and optionally the projectors, cleanup and scheduler components.
 * `request()` calls the app without a socket; `listen()` binds a real port (browser, fleet).
 */
import { loadConfig } from "../../lib/config.ts";
import type { Deps } from "../../lib/deps.ts";
import { buildFullApp, startApi } from "../../handlers/api_server.ts";
import { setLogLevel } from "../../lib/log.ts";
import { startComponents, type Starter } from "../../lib/start.ts";
import { startProjectors } from "../../projectors/mod.ts";
import { startCleanup } from "../../projectors/cleanup.ts";
import { startScheduler } from "../../scheduler/mod.ts";
import { startWaveDispatcher } from "../../lib/exec/waves.ts";
import { prepareAccounts } from "../../lib/accounts/bootstrap.ts";
import { type NatsServer, startNatsServer } from "./nats_server.ts";
import { type SqldServer, startSqld } from "./sqld.ts";

export interface TestBackend {
  deps: Deps;
  broker: NatsServer;
  dbUrl: string;
  /** Set when the database is a libSQL server started with auth (`KANADE_TEST_DB=sqld-auth`). */
  dbAuthToken?: string;
  /** `app.request` with the admin token unless `headers.authorization` is given. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Shorthand: JSON request, parsed JSON response (throws on non-2xx with the body). */
  json<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** JSON request whatever its outcome: the status and the parsed body (null when empty). */
  // deno-lint-ignore no-explicit-any
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  listen(): Promise<{ port: number; url: string }>;
  token: string;
  stop(): Promise<void>;
}

export interface TestBackendOptions {
  projectors?: boolean | string[];
  scheduler?: boolean;
  cleanup?: boolean;
  /** The persisted rollout-wave dispatcher (default true; it runs with the API). */
  waves?: boolean;
  env?: Record<string, string>;
  /** Reuse an existing broker (not stopped by `stop()`). */
  broker?: NatsServer;
  /** Reuse a DB URL (e.g. to restart the backend on the same DB). */
  dbUrl?: string;
  /** Auth token for a reused remote `dbUrl`. */
  dbAuthToken?: string;
  logLevel?: string;
}

export const TEST_TOKEN = "test-static-token";

export async function startTestBackend(opts: TestBackendOptions = {}): Promise<TestBackend> {
  setLogLevel(opts.logLevel ?? Deno.env.get("KANADE_TEST_LOG_LEVEL") ?? "error");
  const broker = opts.broker ?? await startNatsServer();
  const ownBroker = !opts.broker;
  let dir: string | null = null;
  let sqld: SqldServer | null = null;
  let dbUrl = opts.dbUrl;
  let dbAuthToken = opts.dbAuthToken;
  if (!dbUrl) {
    // Opt-in: KANADE_TEST_DB=sqld (or sqld-auth) runs the suite on a fresh libSQL server,
    // topology (a)'s remote database, instead of a temp file.
    const mode = Deno.env.get("KANADE_TEST_DB") ?? "file";
    if (mode === "sqld" || mode === "sqld-auth") {
      sqld = await startSqld({ auth: mode === "sqld-auth" });
      dbUrl = sqld.url;
      dbAuthToken = sqld.authToken;
    } else {
      dir = await Deno.makeTempDir({ prefix: "kanade-test-" });
      dbUrl = `file:${dir}/kanade.db`;
    }
  }
  const config = loadConfig({
    args: [],
    env: {
      KANADE_NATS_URL: broker.url,
      KANADE_DB_URL: dbUrl,
      ...(dbAuthToken ? { KANADE_DB_AUTH_TOKEN: dbAuthToken } : {}),
      KANADE_AUTH_STATIC_TOKEN: TEST_TOKEN,
      KANADE_BIND: "127.0.0.1:0",
      ...opts.env,
    },
  });
  // The same start-up path as main.ts, without its signal handling (the test stops it).
  const wanted: Starter[] = [];
  if (opts.projectors) {
    const only = Array.isArray(opts.projectors) ? opts.projectors : undefined;
    wanted.push((deps) => startProjectors(deps, { only }));
  }
  if (opts.cleanup) wanted.push(startCleanup);
  if (opts.scheduler) wanted.push((deps) => startScheduler(deps));
  if (opts.waves ?? true) wanted.push(startWaveDispatcher);
  const running = await startComponents(config, wanted, {
    signals: false,
    // As main.ts does before it serves: bootstrap admin, MFA key check.
    prepare: async (deps) => void await prepareAccounts(deps),
  }).catch(async (e) => {
    if (ownBroker) await broker.stop();
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    await sqld?.stop();
    throw e;
  });
  const { deps } = running;
  const app = buildFullApp(deps);

  const request = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TEST_TOKEN}`);
    return Promise.resolve(app.request(path, { ...init, headers }));
  };
  const sendJson = (method: string, path: string, body?: unknown) =>
    request(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  return {
    deps,
    broker,
    dbUrl,
    dbAuthToken,
    token: TEST_TOKEN,
    request,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await sendJson(method, path, body);
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async call(method: string, path: string, body?: unknown) {
      const res = await sendJson(method, path, body);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    listen() {
      const api = startApi(deps, { bind: "127.0.0.1:0" });
      running.components.push(api); // stopped first, with the others

      return Promise.resolve({ port: api.port, url: `http://127.0.0.1:${api.port}` });
    },
    async stop() {
      await running.stop();
      if (ownBroker) await broker.stop();
      if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
      await sqld?.stop();
    },
  };
}

/** Poll `fn` until it returns a truthy value or time runs out (no fixed sleeps in tests). */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const until = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
  throw new Error(`timed out waiting for ${opts.what ?? "condition"}${last ? `: ${last}` : ""}`);
}
