/**
 * The Prometheus metrics of this process: one prom-client registry, and the only module
 * that touches it. Components call the small functions below; `GET /metrics`
 * (`handlers/metrics/metrics.ts`) renders the registry after `collectScrapeGauges`
 * (`lib/reads/metrics_scrape.ts`) has read what only the broker and the database know.
 *
 * Cheap on hot paths by construction: the projectors already count batches, messages,
 * naks and poison in their `stats` object, so the registry reads those objects at scrape
 * time (`trackProjector`) instead of being called per message; the router observes one
 * histogram per request; scheduler ticks and SSE connections are rare events.
 *
 * Metrics are per process (the Prometheus model): counters of projectors or a scheduler
 * running in another process appear in that process's registry, not here. What the broker
 * knows (consumer pending / lag) and the database knows (agents online) is read at scrape
 * time, so any API process reports it for the whole deployment.
 */
import client from "prom-client";
import { BACKEND_VERSION, IMPLEMENTATION } from "./version.ts";

export const registry = new client.Registry();

// ---- HTTP ---------------------------------------------------------------------------------

const httpDuration = new client.Histogram({
  name: "kanade_http_request_duration_seconds",
  help:
    "HTTP requests by method, route pattern and status: latency until the response headers (its _count is the request count)",
  labelNames: ["method", "route", "status"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/**
 * One answered request. `route` is the route pattern (`/api/agents/:pc_id`), never the raw
 * path, so the label set stays bounded; the router passes `static` for dashboard files.
 */
export function observeHttp(method: string, route: string, status: number, seconds: number) {
  httpDuration.observe({ method, route, status: String(status) }, seconds);
}

// ---- projectors (in-process counters, read from their stats at scrape) ---------------------

/** The counters every projector engine keeps (`RunningProjector.stats`). */
export interface ProjectorCounts {
  applied: number;
  rejected: number;
  naks: number;
  batches: number;
  /** When the batch being written started (epoch ms); 0 while no batch is being written. */
  busySince?: number;
}

interface Tracked {
  projector: string;
  durable: string;
  stats: ProjectorCounts;
}

const trackedProjectors = new Set<Tracked>();
/** Counts of projectors that stopped, so a counter never goes down while the process lives. */
const retired = new Map<string, ProjectorCounts>();
const projKey = (t: { projector: string; durable: string }) => `${t.projector}\0${t.durable}`;

function projectorCounter(
  name: string,
  help: string,
  field: Exclude<keyof ProjectorCounts, "busySince">,
) {
  return new client.Counter({
    name,
    help,
    labelNames: ["projector", "durable"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const sums = new Map<string, { projector: string; durable: string; n: number }>();
      for (const [k, c] of retired) {
        const [projector, durable] = k.split("\0");
        sums.set(k, { projector, durable, n: c[field] });
      }
      for (const t of trackedProjectors) {
        const k = projKey(t);
        const s = sums.get(k) ?? { projector: t.projector, durable: t.durable, n: 0 };
        s.n += t.stats[field];
        sums.set(k, s);
      }
      for (const s of sums.values()) {
        this.inc({ projector: s.projector, durable: s.durable }, s.n);
      }
    },
  });
}

projectorCounter(
  "kanade_projector_batches_total",
  "Batches (one write transaction each) a projector of this process committed or tried",
  "batches",
);
projectorCounter(
  "kanade_projector_messages_total",
  "Messages a projector of this process wrote to the database",
  "applied",
);
projectorCounter(
  "kanade_projector_poison_total",
  "Poison messages set aside (JetStream: terminated and kept in projection_rejects; core: dropped)",
  "rejected",
);
projectorCounter(
  "kanade_projector_naks_total",
  "Messages handed back for redelivery (or windows retried) because the database was busy",
  "naks",
);

// A stuck batch holds back everything behind it while every counter stands still; its age is
// what an alert can watch (0 when idle).
new client.Gauge({
  name: "kanade_projector_batch_age_seconds",
  help: "How long the batch a projector of this process is writing has been in flight (0: idle)",
  labelNames: ["projector", "durable"] as const,
  registers: [registry],
  collect() {
    this.reset();
    const now = Date.now();
    for (const t of trackedProjectors) {
      const since = t.stats.busySince ?? 0;
      this.set(
        { projector: t.projector, durable: t.durable },
        since > 0 ? (now - since) / 1000 : 0,
      );
    }
  },
});

/**
 * Exposes a running projector's counters; `durable` is "" for a core-NATS projector.
 * Returns the function that retires it (its counts stay in the totals).
 */
export function trackProjector(
  projector: string,
  durable: string,
  stats: ProjectorCounts,
): () => void {
  const t: Tracked = { projector, durable, stats };
  trackedProjectors.add(t);
  return () => {
    if (!trackedProjectors.delete(t)) return;
    const k = projKey(t);
    const r = retired.get(k) ?? { applied: 0, rejected: 0, naks: 0, batches: 0 };
    for (const f of ["applied", "rejected", "naks", "batches"] as const) r[f] += stats[f];
    retired.set(k, r);
  };
}

// ---- scheduler ----------------------------------------------------------------------------

const schedulerFires = new client.Counter({
  name: "kanade_scheduler_fires_total",
  help: "Schedule ticks this process fired (a Command went out)",
  registers: [registry],
});
const schedulerSkips = new client.Counter({
  name: "kanade_scheduler_skips_total",
  help: "Schedule ticks this process claimed and did not fire, by reason",
  labelNames: ["reason"] as const,
  registers: [registry],
});

/**
 * A skip reason as a bounded label: the text before any detail (`fire failed: <error>` →
 * `fire failed`, `corrupt constraints.window (…)` → `corrupt constraints.window`).
 */
export function skipReasonLabel(reason: string): string {
  const head = reason.split(/[:('"]/, 1)[0].trim().replace(/\s+/g, " ");
  return (head || "other").slice(0, 60);
}

/** The outcome of one tick this process claimed (the engine's `onTick`). */
export function countTick(outcome: { fired: boolean; reason?: string }) {
  if (outcome.fired) schedulerFires.inc();
  else schedulerSkips.inc({ reason: skipReasonLabel(outcome.reason ?? "") });
}

// ---- alerts -------------------------------------------------------------------------------

const alertDeliveries = new client.Counter({
  name: "kanade_alert_deliveries_total",
  help: "Alert webhook deliveries this process ended, by status (delivered, failed, suppressed)",
  labelNames: ["status"] as const,
  registers: [registry],
});

/** A delivery this process ended: sent, given up, or refused by a rule's rate limit. */
export function countAlertDelivery(status: "delivered" | "failed" | "suppressed", n = 1) {
  if (n > 0) alertDeliveries.inc({ status }, n);
}

const leaders = new Map<string, () => boolean>();
new client.Gauge({
  name: "kanade_scheduler_leader",
  help: "1 while this process's scheduler holds the leadership lease, else 0 (by lease holder)",
  labelNames: ["holder"] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [holder, isLeader] of leaders) this.set({ holder }, isLeader() ? 1 : 0);
  },
});

/** Exposes a scheduler's lease state; returns the function that stops exposing it. */
export function trackLeader(holder: string, isLeader: () => boolean): () => void {
  leaders.set(holder, isLeader);
  return () => leaders.delete(holder);
}

// ---- SSE ----------------------------------------------------------------------------------

const sseClients = new client.Gauge({
  name: "kanade_sse_clients",
  help: "Open Server-Sent Events streams (GET /api/events/stream) on this process",
  registers: [registry],
});

/** An event stream opened; call the returned function once when it closes. */
export function sseOpened(): () => void {
  sseClients.inc();
  let open = true;
  return () => {
    if (open) sseClients.dec();
    open = false;
  };
}

// ---- read at scrape (set by lib/reads/metrics_scrape.ts) ------------------------------------------

export const agentsGauge = new client.Gauge({
  name: "kanade_agents",
  help: "Known agents by state: online = a heartbeat within KANADE_ALIVE_WINDOW_SECS",
  labelNames: ["state"] as const,
  registers: [registry],
});

const consumerGauge = (name: string, help: string) =>
  new client.Gauge({
    name,
    help,
    labelNames: ["stream", "durable"] as const,
    registers: [registry],
  });
export const consumerGauges = {
  pending: consumerGauge(
    "kanade_projector_pending_messages",
    "Messages of the stream the projector durable has not been delivered yet (broker)",
  ),
  ackPending: consumerGauge(
    "kanade_projector_ack_pending_messages",
    "Messages delivered to the projector durable and not acked yet (broker)",
  ),
  lag: consumerGauge(
    "kanade_projector_lag_messages",
    "Messages not yet projected: pending + ack pending of the durable (broker)",
  ),
  redelivered: consumerGauge(
    "kanade_projector_redelivered_messages",
    "Messages of the durable redelivered and not acked yet (broker)",
  ),
};

export const scrapeErrors = new client.Counter({
  name: "kanade_metrics_scrape_errors_total",
  help: "Scrape-time reads that failed (the metric keeps its previous value), by source",
  labelNames: ["source"] as const,
  registers: [registry],
});

// ---- process --------------------------------------------------------------------------------

new client.Gauge({
  name: "kanade_build_info",
  help: "Always 1; the labels say which backend this is",
  labelNames: ["version", "implementation"] as const,
  registers: [registry],
  collect() {
    this.set({ version: BACKEND_VERSION, implementation: IMPLEMENTATION }, 1);
  },
});
const startSecs = Date.now() / 1000;
/** A gauge whose value is read when scraped. */
function readGauge(name: string, help: string, read: () => number) {
  new client.Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
readGauge(
  "process_start_time_seconds",
  "Start time of the process since the Unix epoch in seconds",
  () => startSecs,
);
readGauge(
  "process_resident_memory_bytes",
  "Resident memory size in bytes",
  () => Deno.memoryUsage().rss,
);
readGauge("kanade_heap_used_bytes", "V8 heap in use, bytes", () => Deno.memoryUsage().heapUsed);
// What RSS holds besides the objects in use: the heap V8 has committed (its next collection
// comes when use reaches it) and memory outside the heap that JS objects own (ArrayBuffers:
// NATS read buffers, SQLite results in transit).
readGauge(
  "kanade_heap_total_bytes",
  "V8 heap committed, bytes",
  () => Deno.memoryUsage().heapTotal,
);
readGauge(
  "kanade_external_memory_bytes",
  "Memory owned by JS objects outside the V8 heap (ArrayBuffers), bytes",
  () => Deno.memoryUsage().external,
);

const memoryReturns = new client.Counter({
  name: "kanade_memory_returns_total",
  help: "Times this process gave memory back after a burst (full collection and malloc_trim)",
  registers: [registry],
});
const memoryReturned = new client.Counter({
  name: "kanade_memory_returned_bytes_total",
  help: "Resident memory those returns gave back, bytes",
  registers: [registry],
});

/** One memory return (lib/memory_return.ts) and the RSS it gave back. */
export function countMemoryReturn(freedBytes: number) {
  memoryReturns.inc();
  memoryReturned.inc(freedBytes);
}

/** The registry in the Prometheus text format, and its content type. */
export async function renderMetrics(): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}
