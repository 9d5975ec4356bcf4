/**
 * One NATS connection per process with its JetStream, KV and object-store handles.
 * KV/object handles are opened once and cached (bindOnly: resources come from setup).
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { Config } from "./config.ts";
import { log } from "./log.ts";
import { retryWhile } from "../util/retry.ts";

export interface Nats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kvm: Kvm;
  objm: Objm;
  /** What bounds each JetStream request made through this view (ms). */
  timeoutMs: number;
  /** Opened (bind-only) KV bucket; rejects when the bucket does not exist. */
  kv(bucket: string): Promise<KV>;
  /** Opened object store; rejects when it does not exist. */
  obj(bucket: string): Promise<ObjectStore>;
  close(): Promise<void>;
}

export async function connectNats(
  cfg: Pick<Config, "natsServers" | "natsToken" | "natsUser" | "natsPassword">,
  name = "kanade-backend",
): Promise<Nats> {
  const nc = await connect({
    servers: cfg.natsServers,
    token: cfg.natsToken,
    user: cfg.natsUser,
    pass: cfg.natsPassword,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
  });
  logConnectionEvents(nc, name);
  try {
    // The JetStream API check inside may meet a cluster still electing its meta leader.
    return await whileStarting("JetStream API", () => wrapNats(nc));
  } catch (e) {
    await nc.close().catch(() => {});
    throw e;
  }
}

/**
 * A connection's life in the log: a disconnect, a reconnect, the broker's errors (a
 * permission refused, a slow-consumer cut), a stale connection. Without them a burst that
 * stalls while a connection comes back looked like an idle backend. Pings and the
 * reconnect attempts in between are not logged (one line a second or more while the
 * broker is down).
 */
function logConnectionEvents(nc: NatsConnection, name: string) {
  (async () => {
    for await (const s of nc.status()) {
      const conn = { connection: name };
      switch (s.type) {
        case "disconnect":
          log.warn("NATS connection lost", { ...conn, server: s.server });
          break;
        case "reconnect":
          log.info("NATS connection restored", { ...conn, server: s.server });
          break;
        case "error":
          log.warn("NATS server error", { ...conn, err: String(s.error?.message ?? s.error) });
          break;
        case "staleConnection":
          log.warn("NATS connection stale (pings unanswered), reconnecting", conn);
          break;
        case "slowConsumer":
          log.warn("NATS subscription falling behind", {
            ...conn,
            subject: s.sub.getSubject(),
            pending: s.pending,
          });
          break;
        case "ldm":
          log.info("NATS server entering lame-duck mode", { ...conn, server: s.server });
          break;
      }
    }
  })().catch(() => {/* the connection closed */});
}

/**
 * JetStream answers too slowly or not yet: a cluster still forming or electing its meta
 * leader, or busy placing replicas for another process's identical create. Not a reason
 * for a backend to exit at start.
 */
export function isStartupTransient(e: unknown): boolean {
  if (isBrokerUnavailable(e)) return true;
  return /temporarily unavailable|no suitable peers|timeout/i.test(
    String((e as Error)?.message ?? e),
  );
}

/** Runs a start-up step, retried with a growing pause while its failure is transient. */
export function whileStarting<T>(
  what: string,
  step: () => Promise<T>,
  retryForMs = 60_000,
): Promise<T> {
  return retryWhile(step, {
    transient: isStartupTransient,
    until: Date.now() + retryForMs,
    firstPauseMs: 250,
    maxPauseMs: 4_000,
    onRetry: (e, pause) =>
      log.warn(`${what} not answered yet, retrying`, { err: String(e), pause_ms: pause }),
  });
}

/**
 * `timeout` (default 10 s) bounds every JetStream/KV request made through this view. A
 * component that must not wait out a replica leader election (the scheduler) opens a
 * second view on the same connection with a short one; it must not `close()` that view.
 */
export async function wrapNats(
  nc: NatsConnection,
  opts: { timeout?: number } = {},
): Promise<Nats> {
  const timeout = opts.timeout ?? 10_000;
  const js = jetstream(nc, { timeout });
  const jsm = await jetstreamManager(nc, { timeout });
  const kvm = new Kvm(js);
  const objm = new Objm(js);
  const kvs = new Map<string, Promise<KV>>();
  const objs = new Map<string, Promise<ObjectStore>>();
  return {
    nc,
    js,
    jsm,
    kvm,
    objm,
    timeoutMs: timeout,
    kv(bucket) {
      let p = kvs.get(bucket);
      if (!p) {
        p = kvm.open(bucket, { bindOnly: true });
        kvs.set(bucket, p);
        p.catch(() => kvs.delete(bucket));
      }
      return p;
    },
    obj(bucket) {
      let p = objs.get(bucket);
      if (!p) {
        p = objm.open(bucket);
        objs.set(bucket, p);
        p.catch(() => objs.delete(bucket));
      }
      return p;
    },
    async close() {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

/** True when a JetStream error means "that stream/bucket/consumer does not exist". */
export function isNotFound(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? e).toLowerCase();
  const code = (e as { code?: unknown; api_error?: { err_code?: number } })?.api_error?.err_code;
  return code === 10059 || code === 10014 || msg.includes("not found") ||
    msg.includes("no stream") ||
    msg.includes("does not exist");
}

const UNAVAILABLE_NAMES = new Set([
  "TimeoutError",
  "NoRespondersError",
  "ClosedConnectionError",
  "DrainingConnectionError",
  "ConnectionError",
  "RequestError",
]);

/**
 * True when an error means "the broker (or a JetStream leader) did not answer right now":
 * a timeout during a leader election, no responders, a closed or draining connection.
 * The API maps these to 503 + retry-after instead of a 500.
 */
export function isBrokerUnavailable(e: unknown): boolean {
  for (let cur = e as { name?: string; cause?: unknown } | undefined, i = 0; cur && i < 5; i++) {
    if (typeof cur.name === "string" && UNAVAILABLE_NAMES.has(cur.name)) return true;
    cur = cur.cause as typeof cur;
  }
  return false;
}
