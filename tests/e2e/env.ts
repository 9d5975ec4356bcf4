/**
 * End-to-end environment: the whole backend in-process (API, projectors, scheduler, cleanup,
 * wave dispatcher) on a private broker plus a simulated fleet. Tests act like an operator:
 * everything they do to the system goes through the public HTTP API; the fleet object is
 * only read to observe what agents did (and to take agents offline).
 */
import { startTestBackend, type TestBackend, waitFor } from "../helpers/backend.ts";
import { type Fleet, type FleetOptions, startFleet } from "../../simulator/fleet.ts";

export interface E2E {
  backend: TestBackend;
  fleet: Fleet;
  /** JSON call; returns status and parsed body (text when not JSON). */
  call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  /** JSON call that must succeed (2xx). */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Register a job from YAML text (`POST /api/jobs`, application/yaml). */
  registerYaml(yaml: string): Promise<unknown>;
  /** Finished results of one exec as the API shows them. */
  results(query: string): Promise<ResultRow[]>;
  stop(): Promise<void>;
}

export interface ResultRow {
  result_id: string;
  request_id: string;
  exec_id: string | null;
  pc_id: string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  started_at: string;
  finished_at: string | null;
  job_id: string | null;
  version: string | null;
}

export interface E2EOptions {
  agents: number | string[];
  fleet?: Partial<FleetOptions>;
  /** Heartbeat interval the operator sets through `PUT /api/config` (default 1s). */
  heartbeatInterval?: string;
  scheduler?: boolean;
}

export async function startE2E(opts: E2EOptions): Promise<E2E> {
  const backend = await startTestBackend({
    projectors: true,
    scheduler: opts.scheduler ?? true,
    cleanup: true,
  });
  let fleet: Fleet | null = null;
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const res = await backend.request(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch { /* text body */ }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const r = await call<T>(method, path, body);
    if (r.status < 200 || r.status > 299) {
      throw new Error(`${method} ${path} -> ${r.status}: ${JSON.stringify(r.body)}`);
    }
    return r.body;
  };
  try {
    await api("PUT", "/api/config", { heartbeat_interval: opts.heartbeatInterval ?? "1s" });
    fleet = await startFleet({
      natsUrl: backend.broker.url,
      agents: opts.agents,
      connections: 2,
      seed: 42,
      ...opts.fleet,
    });
  } catch (e) {
    await fleet?.stop();
    await backend.stop();
    throw e;
  }
  const f = fleet;
  return {
    backend,
    fleet: f,
    call,
    api,
    async registerYaml(yaml: string) {
      const res = await backend.request("/api/jobs", {
        method: "POST",
        headers: { "content-type": "application/yaml" },
        body: yaml,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST /api/jobs (yaml) -> ${res.status}: ${text}`);
      return JSON.parse(text);
    },
    results: (query: string) => api<ResultRow[]>("GET", `/api/results?limit=1000&${query}`),
    async stop() {
      await f.stop();
      await backend.stop();
    },
  };
}

/** `fn` on a fresh environment, stopped afterwards whatever `fn` does. */
export async function withE2E(opts: E2EOptions, fn: (e: E2E) => Promise<void>): Promise<void> {
  const e = await startE2E(opts);
  try {
    await fn(e);
  } finally {
    await e.stop();
  }
}

/** A job manifest in operator YAML whose script is the simulator's language. */
export function jobYaml(id: string, script: string, extra = "", version = "1.0.0"): string {
  const body = script.split("\n").map((l) => `    ${l}`).join("\n");
  return `id: ${id}
version: ${version}
description: e2e ${id}
execute:
  shell: powershell
  script: |
${body}
  timeout: 60s
${extra}`;
}

export { waitFor };

/** Wait until every row of `query` is finished and there are `n` of them. */
export async function waitFinished(
  e: E2E,
  query: string,
  n: number,
  timeoutMs = 15_000,
): Promise<ResultRow[]> {
  let last: ResultRow[] = [];
  try {
    return await waitFor(async () => {
      last = await e.results(query);
      return last.length >= n && last.every((r) => r.finished_at !== null) ? last : null;
    }, { timeoutMs, intervalMs: 100, what: `${n} finished results for ${query}` });
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; have ${last.length}: ${
        JSON.stringify(last.map((r) => [r.pc_id, r.exit_code, r.finished_at]))
      }`,
    );
  }
}
