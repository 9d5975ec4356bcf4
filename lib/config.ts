/**
 * Configuration: environment first (upstream names where they exist), then an upstream
 * `backend.toml` (`--config` / `KANADE_BACKEND_CONFIG`), then defaults. Validated with zod;
 * every bad key is reported as one line.
 */
import { z } from "zod";
import { parse as parseToml } from "smol-toml";
import { ConfigError } from "./errors.ts";
import { issueLines } from "../wire/zod_issues.ts";

export const ConfigSchema = z.object({
  bind: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):\d{1,5}$/, "must be host:port"),
  natsServers: z.array(z.string().min(1)).min(1),
  natsToken: z.string().optional(),
  natsUser: z.string().optional(),
  natsPassword: z.string().optional(),
  dbUrl: z.string().regex(
    /^(file:|libsql:|https?:|wss?:|:memory:)/,
    "must be file:, libsql:, http(s): or :memory:",
  ),
  dbAuthToken: z.string().optional(),
  authDisable: z.boolean(),
  staticToken: z.string().optional(),
  jwtSecret: z.string().optional(),
  /** Account created when no account exists (upstream's bootstrap admin). */
  bootstrapAdminUser: z.string().min(1).max(64),
  /** Its first password (must be changed at first sign-in); unset = no bootstrap, a warning. */
  bootstrapAdminPassword: z.string().refine(
    (v) => [...v].length >= 8,
    "must be at least 8 characters",
  )
    .optional(),
  /** AES-256-GCM key (base64 of 32 bytes) sealing TOTP secrets at rest in KV. */
  mfaKey: z.string().refine(
    (v) => /^[A-Za-z0-9+/]{43}=$/.test(v),
    "must be 32 random bytes in base64 (openssl rand -base64 32)",
  ).optional(),
  /** Lifetime of a sign-in session token, hours. */
  sessionTtlHours: z.number().int().min(1).max(8760),
  /** How long 5 consecutive sign-in failures lock a username, seconds. */
  loginLockSecs: z.number().int().min(1).max(86_400),
  /** Bearer token that may read `/metrics` only (Prometheus); viewers may read it too. */
  metricsToken: z.string().min(16, "must be at least 16 characters").optional(),
  insecureBind: z.boolean(),
  logLevel: z.enum(["debug", "info", "warn", "error"]),
  jsReplicas: z.number().int().min(1).max(5),
  nodeId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be [A-Za-z0-9_-]{1,64}"),
  /** Projection topology: `shared` (one writer per stream) or `local` (own durables per node). */
  projectionMode: z.enum(["shared", "local"]),
  aliveWindowSecs: z.number().int().positive(),
  cleanupIntervalSecs: z.number().int().positive(),
  pendingExpirySecs: z.number().int().positive(),
  reapAfterSecs: z.number().int().positive(),
  retentionDays: z.object({
    results: z.number().int().nonnegative(),
    executions: z.number().int().nonnegative(),
    audit: z.number().int().nonnegative(),
    obs: z.number().int().nonnegative(),
    hostPerf: z.number().int().nonnegative(),
    processPerf: z.number().int().nonnegative(),
  }),
  requestTimeoutMs: z.number().int().positive(),
  /** Largest batch a JetStream projector applies in one transaction (engine default if unset). */
  projectorBatch: z.number().int().positive().optional(),
  /** Ack wait of newly created projector durables, seconds (engine default if unset). */
  projectorAckWaitSecs: z.number().int().positive().optional(),
  /** Bytes a projector asks of the broker ahead of what it has taken, MiB (engine default if unset). */
  projectorPullMiB: z.number().int().positive().optional(),
  /**
   * Run the results projector's SQLite work on a writer thread (local files only; a remote
   * libSQL server is written in-thread whatever this says). On unless `0`.
   */
  resultsWriterThread: z.boolean({ error: "must be 1 (on) or 0 (off)" }),
  /** Checkpoint a local file's WAL from a thread of its own (db/wal_checkpointer.ts). On unless `0`. */
  walCheckpointThread: z.boolean({ error: "must be 1 (on) or 0 (off)" }),
  /** Give memory back once a burst is over (lib/memory_return.ts). On unless `0`. */
  memoryReturn: z.boolean({ error: "must be 1 (on) or 0 (off)" }),
  /** Check rows older than this many days are flagged stale and counted apart (0 = off). */
  checkStaleDays: z.number({ error: "must be an integer 0..3650" }).int(
    "must be an integer 0..3650",
  ).min(0, "must be an integer 0..3650").max(3650, "must be an integer 0..3650"),
  /** Alert events older than this are not sent (a rebuilt database, a long outage). */
  alertMaxAgeSecs: z.number({ error: "must be an integer 60..604800" }).int(
    "must be an integer 60..604800",
  ).min(60, "must be an integer 60..604800").max(604_800, "must be an integer 60..604800"),
  /** Scheduler leadership lease, seconds (engine default if unset). */
  schedulerLeaseSecs: z.number().positive().optional(),
  /** `deno serve` with auth disabled: the listener is not loopback-only, so opt in. */
  insecureServe: z.boolean(),
});
export type Config = z.infer<typeof ConfigSchema>;

export interface ConfigSources {
  env?: Record<string, string | undefined>;
  args?: string[];
}

function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

type Toml = Record<string, Record<string, unknown> | undefined>;

function readToml(path: string): Toml {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new ConfigError(`config: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return parseToml(text) as Toml;
  } catch (e) {
    throw new ConfigError(`config: ${path} is not valid TOML: ${(e as Error).message}`);
  }
}

const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== "" ? v : undefined);

function num(env: Record<string, string | undefined>, key: string, dflt: number): number {
  const v = nonEmpty(env[key]);
  return v === undefined ? dflt : Number(v);
}

/** `1`/`true`/`on` or `0`/`false`/`off`; anything else is left for the schema to refuse. */
function onOff(
  env: Record<string, string | undefined>,
  key: string,
  dflt: boolean,
): boolean | string {
  const v = nonEmpty(env[key])?.trim().toLowerCase();
  if (v === undefined) return dflt;
  if (v === "1" || v === "true" || v === "on") return true;
  if (v === "0" || v === "false" || v === "off") return false;
  return v;
}

function optNum(env: Record<string, string | undefined>, key: string): number | undefined {
  const v = nonEmpty(env[key]);
  return v === undefined ? undefined : Number(v);
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? Deno.env.toObject();
  const args = sources.args ?? Deno.args;
  const tomlPath = flagValue(args, "--config") ?? nonEmpty(env.KANADE_BACKEND_CONFIG);
  const toml: Toml = tomlPath ? readToml(tomlPath) : {};
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);

  let dbUrl = nonEmpty(env.KANADE_DB_URL);
  const sqlitePath = str(toml.db?.sqlite_path);
  if (!dbUrl && sqlitePath) dbUrl = `file:${sqlitePath}`;

  const natsUrl = nonEmpty(env.KANADE_NATS_URL) ?? str(toml.nats?.url) ?? "nats://127.0.0.1:4222";

  const raw = {
    bind: nonEmpty(env.KANADE_BIND) ?? str(toml.server?.bind) ?? "127.0.0.1:8080",
    natsServers: natsUrl.split(",").map((s) => s.trim()).filter(Boolean),
    natsToken: nonEmpty(env.KANADE_NATS_TOKEN),
    natsUser: nonEmpty(env.KANADE_NATS_USER),
    natsPassword: nonEmpty(env.KANADE_NATS_PASSWORD),
    dbUrl: dbUrl ?? "file:./data/kanade.db",
    dbAuthToken: nonEmpty(env.KANADE_DB_AUTH_TOKEN),
    // Upstream: presence (any value) disables auth.
    authDisable: env.KANADE_AUTH_DISABLE !== undefined,
    staticToken: nonEmpty(env.KANADE_AUTH_STATIC_TOKEN),
    jwtSecret: nonEmpty(env.KANADE_JWT_SECRET),
    bootstrapAdminUser: nonEmpty(env.KANADE_BOOTSTRAP_ADMIN_USER)?.trim() ?? "admin",
    bootstrapAdminPassword: nonEmpty(env.KANADE_BOOTSTRAP_ADMIN_PASSWORD),
    mfaKey: nonEmpty(env.KANADE_MFA_KEY)?.trim(),
    sessionTtlHours: num(env, "KANADE_SESSION_TTL_HOURS", 12),
    loginLockSecs: num(env, "KANADE_LOGIN_LOCK_SECS", 900),
    metricsToken: nonEmpty(env.KANADE_METRICS_TOKEN),
    insecureBind: args.includes("--insecure-bind"),
    logLevel: (nonEmpty(env.KANADE_LOG_LEVEL) ?? str(toml.log?.level) ?? "info").toLowerCase(),
    jsReplicas: num(env, "KANADE_JS_REPLICAS", 1),
    nodeId: nonEmpty(env.KANADE_NODE_ID) ?? "node1",
    projectionMode: nonEmpty(env.KANADE_PROJECTION_MODE) ?? "shared",
    aliveWindowSecs: num(env, "KANADE_ALIVE_WINDOW_SECS", 120),
    cleanupIntervalSecs: num(env, "KANADE_CLEANUP_INTERVAL_SECS", 300),
    pendingExpirySecs: num(env, "KANADE_PENDING_EXPIRY_SECS", 3600),
    reapAfterSecs: num(env, "KANADE_REAP_AFTER_SECS", 86_400),
    retentionDays: {
      results: num(env, "KANADE_RETENTION_RESULTS_DAYS", 90),
      executions: num(env, "KANADE_RETENTION_EXECUTIONS_DAYS", 90),
      audit: num(env, "KANADE_RETENTION_AUDIT_DAYS", 365),
      obs: num(env, "KANADE_RETENTION_OBS_DAYS", 90),
      hostPerf: num(env, "KANADE_RETENTION_HOST_PERF_DAYS", 30),
      processPerf: num(env, "KANADE_RETENTION_PROCESS_PERF_DAYS", 7),
    },
    requestTimeoutMs: num(env, "KANADE_REQUEST_TIMEOUT_MS", 30_000),
    projectorBatch: optNum(env, "KANADE_PROJECTOR_BATCH"),
    projectorAckWaitSecs: optNum(env, "KANADE_PROJECTOR_ACK_WAIT_SECS"),
    projectorPullMiB: optNum(env, "KANADE_PROJECTOR_PULL_MIB"),
    resultsWriterThread: onOff(env, "KANADE_RESULTS_WRITER_THREAD", true),
    walCheckpointThread: onOff(env, "KANADE_WAL_CHECKPOINT_THREAD", true),
    memoryReturn: onOff(env, "KANADE_MEMORY_RETURN", true),
    checkStaleDays: num(env, "KANADE_CHECK_STALE_DAYS", 30),
    alertMaxAgeSecs: num(env, "KANADE_ALERT_MAX_AGE_SECS", 3600),
    schedulerLeaseSecs: optNum(env, "KANADE_SCHEDULER_LEASE_SECS"),
    insecureServe: env.KANADE_INSECURE_BIND === "1",
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = issueLines(parsed.error, { root: "(root)" }).map((l) => `config: ${l}`);
    throw new ConfigError(lines.join("\n"));
  }
  return parsed.data;
}

export function splitBind(bind: string): { hostname: string; port: number } {
  const i = bind.lastIndexOf(":");
  const host = bind.slice(0, i).replace(/^\[|\]$/g, "");
  return { hostname: host, port: Number(bind.slice(i + 1)) };
}

export function isLoopback(hostname: string): boolean {
  // Numeric 127/8 only: a DNS name such as `127.example.com` can resolve anywhere.
  return hostname === "localhost" || hostname === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
