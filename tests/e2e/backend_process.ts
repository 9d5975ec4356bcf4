/**
 * The real backend entrypoint (`deno run -A main.ts`) as a child process on a private broker
 * and a temp DB, auth disabled on loopback — what `deno task dev` runs, minus the dev broker.
 * Used by the RSS, scale and soak benchmarks and the acceptance script, which call it
 * with `apiCall`.
 */
import { freePort, startNatsServer } from "../helpers/nats_server.ts";
import { tailLines, terminate } from "../helpers/child.ts";
import { sampleProc } from "../../simulator/self_report.ts";

export interface BackendProcess {
  pid: number;
  url: string;
  /** The backend's libSQL file (a benchmark may read it alongside). */
  dbPath: string;
  stop(): Promise<void>;
}

export async function spawnBackend(
  natsUrl: string,
  opts: {
    env?: Record<string, string>;
    readyTimeoutMs?: number;
    /** Each line the backend logs (warnings and errors at the default level). */
    log?: (line: string) => void;
  } = {},
): Promise<BackendProcess> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-proc-" });
  const port = freePort();
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main],
    cwd: dir,
    env: {
      KANADE_AUTH_DISABLE: "1",
      KANADE_NATS_URL: natsUrl,
      KANADE_DB_URL: `file:${dir}/kanade.db`,
      KANADE_BIND: `127.0.0.1:${port}`,
      KANADE_LOG_LEVEL: "warn",
      ...opts.env,
    },
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const tail = tailLines(child.stderr, 30, opts.log);
  let exited = false;
  child.status.then(() => exited = true);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await terminate(child, 10_000);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const until = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`backend exited during start:\n${tail.join("\n")}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > until) {
      await stop();
      throw new Error(`backend not ready:\n${tail.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid: child.pid, url, dbPath: `${dir}/kanade.db`, stop };
}

/** Resident set size of a process in bytes (`VmRSS` of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const s = sampleProc(pid);
  if (!s) throw new Error(`no VmRSS for pid ${pid}`);
  return s.rssBytes;
}

/** What `apiCall` got: the raw answer, its headers, and its JSON (null when empty). */
export interface ApiAnswer {
  text: string;
  headers: Headers;
  json<T = unknown>(): T;
}

/**
 * One API call on a backend process (auth disabled): a string body goes as it is with
 * `type` (default JSON), anything else as JSON. A non-2xx throws with the start of its answer.
 */
export async function apiCall(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  type?: string,
): Promise<ApiAnswer> {
  const res = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { "content-type": type ?? "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
  return { text, headers: res.headers, json: <T>() => (text ? JSON.parse(text) : null) as T };
}

/** A backend process on a private broker of its own, with one job registered. */
export interface LiveBackend extends BackendProcess {
  brokerUrl: string;
  brokerPid: number | null;
}

/** The live benchmarks' start: a broker, the backend on it, `jobYaml` registered; `stop` ends both. */
export async function startLiveBackend(
  jobYaml: string,
  opts: { log?: (line: string) => void } = {},
): Promise<LiveBackend> {
  const broker = await startNatsServer();
  const backend = await spawnBackend(broker.url, { readyTimeoutMs: 120_000, log: opts.log })
    .catch(async (e) => {
      await broker.stop();
      throw e;
    });
  const live = {
    ...backend,
    brokerUrl: broker.url,
    brokerPid: broker.pid(),
    async stop() {
      await backend.stop();
      await broker.stop();
    },
  };
  await apiCall(live.url, "POST", "/api/jobs", jobYaml, "application/yaml").catch(async (e) => {
    await live.stop();
    throw e;
  });
  return live;
}

/** Polls `GET /api/agents` every `pollMs` until at least `count` agents are online. */
export async function waitAgentsOnline(
  url: string,
  count: number,
  o: { timeoutMs: number; pollMs: number },
): Promise<number> {
  for (const until = Date.now() + o.timeoutMs;;) {
    const r = await apiCall(url, "GET", "/api/agents?limit=1");
    const online = Number(r.headers.get("x-online-count"));
    if (online >= count) return online;
    if (Date.now() > until) throw new Error(`only ${online}/${count} agents online`);
    await new Promise((res) => setTimeout(res, o.pollMs));
  }
}
