/**
 * Starts the projectors (`deno task projector`, `--only results,events`).
 * Before the JetStream projectors start, a durable whose projection table is empty is
 * deleted so it is recreated with deliver-all and the stream replays (#389: a wiped DB
 * rebuilds itself). Durable names: upstream's in `shared` mode; `<name>_<nodeId>` in
 * `local` mode (every node keeps its own full projection).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { Deps } from "../lib/deps.ts";
import { withWriteWait } from "../db/client.ts";
import { type Component, component } from "../lib/component.ts";
import { CONSUMER, STREAM } from "../wire/names.ts";
import { connectNats, isNotFound } from "../lib/nats.ts";
import {
  DEFAULT_ACK_WAIT_MS,
  type JsProjectorOptions,
  type RunningProjector,
  startJsProjector,
} from "./jetstream_projector.ts";
import { deleteConsumer } from "./js_consumer.ts";
import { startCoreProjector } from "./core_projector.ts";
import { startManifestCache } from "./manifest_cache.ts";
import { resultsSpec } from "./results.ts";
import { ResultsProgress } from "./results_progress.ts";
import { eventsSpec } from "./events.ts";
import { auditSpec } from "./audit.ts";
import { obsSpec } from "./obs.ts";
import { heartbeatSpec } from "./heartbeat.ts";
import { hostPerfSpec } from "./host_perf.ts";
import { processPerfSpec } from "./process_perf.ts";
import { notificationsSpec } from "./notifications.ts";
import { notificationAcksSpec } from "./notification_acks.ts";
import { trackProjector } from "../lib/metrics.ts";

export const PROJECTOR_NAMES = [
  "results",
  "events",
  "audit",
  "obs",
  "heartbeat",
  "host_perf",
  "process_perf",
  "notifications",
  "notification_acks",
] as const;
export type ProjectorName = typeof PROJECTOR_NAMES[number];

/** The durable of a JetStream projector under the configured projection mode. */
export function durableName(
  deps: Pick<Deps, "config">,
  name: keyof typeof CONSUMER,
): string {
  const base = CONSUMER[name];
  return deps.config.projectionMode === "local" ? `${base}_${deps.config.nodeId}` : base;
}

/** Which (stream, durable) pairs replay when their table is empty (backend.md §5.8). */
export function resetTargets(deps: Pick<Deps, "config">, names: readonly string[]) {
  const all = [
    {
      name: "results",
      stream: STREAM.results,
      durable: durableName(deps, "results"),
      table: "execution_results",
    },
    {
      name: "events",
      stream: STREAM.events,
      durable: durableName(deps, "events"),
      table: "execution_results",
    },
    {
      name: "audit",
      stream: STREAM.audit,
      durable: durableName(deps, "audit"),
      table: "audit_log",
    },
    {
      name: "obs",
      stream: STREAM.obsEvents,
      durable: durableName(deps, "obs"),
      table: "obs_events",
    },
    {
      name: "notifications",
      stream: STREAM.notifications,
      durable: durableName(deps, "notifications"),
      table: "notifications",
    },
    {
      name: "notification_acks",
      stream: STREAM.events,
      durable: durableName(deps, "notificationAcks"),
      table: "notification_acks",
    },
  ];
  return all.filter((t) => names.includes(t.name));
}

/** How many messages the durable has acked (its ack floor); 0 when it does not exist. */
async function ackFloor(deps: Deps, stream: string, durable: string): Promise<number> {
  try {
    const ci = await deps.nats.jsm.consumers.info(stream, durable);
    return ci.ack_floor?.consumer_seq ?? 0;
  } catch (e) {
    if (isNotFound(e)) return 0;
    throw e;
  }
}

/**
 * Replays a stream whose projection table is empty although its durable already acked
 * messages (a deleted or wiped database rebuilds itself, backend.md §5.8).
 */
export async function resetConsumersIfEmpty(
  deps: Deps,
  names: readonly string[],
): Promise<string[]> {
  const reset: string[] = [];
  for (const t of resetTargets(deps, names)) {
    try {
      // Only a durable that has acked something can have lost rows: acks follow commits.
      // Reading its ack floor BEFORE the table means an empty table really lost data; a
      // process that is still projecting its first batch (shared mode) is left alone.
      const acked = await ackFloor(deps, t.stream, t.durable);
      if (acked === 0) continue;
      const rs = await deps.db.execute(`SELECT 1 FROM ${t.table} LIMIT 1`);
      if (rs.rows.length > 0) continue;
      if (await deleteConsumer(deps, t.stream, t.durable)) {
        deps.log.info("projection table empty: consumer reset, stream replays", t);
        reset.push(t.durable);
      }
    } catch (e) {
      deps.log.warn("consumer reset failed", { ...t, err: e });
    }
  }
  return reset;
}

/**
 * The database the results projector writes from its own thread, or undefined to write
 * in-thread on deps.db. deps.db is opened from config.dbUrl (lib/deps.ts), so the thread
 * opens a second connection to the same file. Local files only, on unless
 * KANADE_RESULTS_WRITER_THREAD=0: a libSQL server's client is asynchronous already (the
 * main thread is not blocked while it writes) and takes no PRAGMAs.
 */
export function resultsWriterUrl(
  config: Pick<Deps["config"], "dbUrl" | "resultsWriterThread">,
): string | undefined {
  return config.resultsWriterThread && config.dbUrl.startsWith("file:") ? config.dbUrl : undefined;
}

export interface StartProjectorsOptions {
  only?: string[];
  /** Overrides for the JetStream engine (tests, bench). */
  js?: JsProjectorOptions;
  /** Core projector window (default 1000 ms / 1000 items). */
  core?: { maxWaitMs?: number; maxItems?: number };
}

export interface RunningProjectors extends Component {
  projectors: RunningProjector[];
  /** The projectors' own NATS connection (closed by `stop`). */
  connection: NatsConnection;
}

export async function startProjectors(
  apiDeps: Deps,
  opts: StartProjectorsOptions = {},
): Promise<RunningProjectors> {
  const unknown = (opts.only ?? []).filter((n) =>
    !(PROJECTOR_NAMES as readonly string[]).includes(n)
  );
  if (unknown.length) {
    throw new Error(
      `Cannot start projectors: unknown name(s) ${unknown.join(", ")}; known: ${
        PROJECTOR_NAMES.join(", ")
      }`,
    );
  }
  const names: readonly string[] = opts.only?.length ? opts.only : PROJECTOR_NAMES;
  // The projectors' own NATS connection. The broker queues everything for one connection
  // in one buffer: on a shared one, the API's publish confirmation (its flush) waited
  // behind a fleet-wide burst of results and the heartbeat stream, and when a saturated
  // process fell behind the broker cut the whole connection as a slow consumer, failing the
  // API's exec in flight (502). Here a cut drops only the projectors' flow: the connection
  // reconnects, JetStream redelivers, the next beats arrive.
  const nats = await connectNats(apiDeps.config, `kanade-projectors-${apiDeps.config.nodeId}`);
  // A projector's write waits its turn behind a results batch rather than nak a batch
  // after the API's 3 s (db/write_gate.ts); 20 s as the results writer's own busy wait.
  const deps = { ...apiDeps, nats, db: withWriteWait(apiDeps.db, 20_000) };
  let started: Component & { projectors: RunningProjector[] };
  try {
    started = await startOn(deps, names, opts);
  } catch (e) {
    await nats.close().catch(() => {});
    throw e;
  }
  return {
    ...started,
    connection: nats.nc,
    async stop() {
      await started.stop();
      await nats.close().catch(() => {});
    },
  };
}

async function startOn(
  deps: Deps,
  names: readonly string[],
  opts: StartProjectorsOptions,
): Promise<Component & { projectors: RunningProjector[] }> {
  const { projectorAckWaitSecs: ackWaitSecs, projectorPullMiB: pullMiB } = deps.config;
  const js: JsProjectorOptions = {
    batchSize: deps.config.projectorBatch,
    ackWaitMs: ackWaitSecs ? ackWaitSecs * 1000 : undefined,
    pullBytes: pullMiB ? pullMiB * 1024 * 1024 : undefined,
    ...opts.js,
  };
  await resetConsumersIfEmpty(deps, names);
  const needsManifests = names.includes("results") || names.includes("events");
  const manifests = needsManifests ? startManifestCache(deps) : undefined;
  if (manifests) await manifests.ready();

  // The events projector lets the results projector pass first in a burst (results_progress.ts).
  const progress = names.includes("results") && names.includes("events")
    ? new ResultsProgress(js.ackWaitMs ?? DEFAULT_ACK_WAIT_MS)
    : undefined;
  const running: RunningProjector[] = [];
  for (const n of names as ProjectorName[]) {
    switch (n) {
      case "results":
        running.push(
          startJsProjector(
            deps,
            resultsSpec(deps, manifests, durableName(deps, "results"), {
              dbUrl: resultsWriterUrl(deps.config),
              logLevel: deps.config.logLevel,
              progress,
            }),
            js,
          ),
        );
        break;
      case "events":
        running.push(
          startJsProjector(
            deps,
            eventsSpec(manifests, durableName(deps, "events"), progress),
            js,
          ),
        );
        break;
      case "audit":
        running.push(startJsProjector(deps, auditSpec(durableName(deps, "audit")), js));
        break;
      case "obs":
        running.push(startJsProjector(deps, obsSpec(durableName(deps, "obs")), js));
        break;
      case "notifications":
        running.push(
          startJsProjector(deps, notificationsSpec(durableName(deps, "notifications")), js),
        );
        break;
      case "notification_acks":
        running.push(
          startJsProjector(deps, notificationAcksSpec(durableName(deps, "notificationAcks")), js),
        );
        break;
      case "heartbeat":
        running.push(startCoreProjector(deps, heartbeatSpec, opts.core));
        break;
      case "host_perf":
        running.push(startCoreProjector(deps, hostPerfSpec, opts.core));
        break;
      case "process_perf":
        running.push(startCoreProjector(deps, processPerfSpec, opts.core));
        break;
    }
  }
  // The core subscriptions are registered at the broker before anyone is told we started
  // (a heartbeat published on another connection right after would otherwise be missed).
  await deps.nats.nc.flush();
  deps.log.info("projectors started", { projectors: names });
  // Their own stats counters become the /metrics counters (read at scrape, not per message).
  const untrack = running.map((p, i) => {
    const n = names[i];
    // The CONSUMER key of a projector name (`notification_acks` → `notificationAcks`).
    const key = n.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    const durable = key in CONSUMER ? durableName(deps, key as keyof typeof CONSUMER) : "";
    return trackProjector(n, durable, p.stats);
  });
  const c = component("projectors", async () => {
    progress?.stop();
    await Promise.all(running.map((p) => p.stop().catch(() => {})));
    manifests?.stop();
    for (const u of untrack) u();
  });
  return { ...c, projectors: running };
}
