/**
 * What `/metrics` reads at scrape time from the broker and the database, for the whole
 * deployment whichever process runs the projectors: agents online/offline, and each
 * projector durable's pending / ack-pending / redelivered counts. A failed read leaves the
 * previous values and counts `kanade_metrics_scrape_errors_total{source}`; a scrape never
 * fails because the broker or the database is slow.
 */
import type { ConsumerInfo } from "@nats-io/jetstream";
import type { Deps } from "../deps.ts";
import { countAgents } from "./agents.ts";
import { isNotFound } from "../nats.ts";
import { CONSUMER, STREAM } from "../../wire/names.ts";
import { agentsGauge, consumerGauges, scrapeErrors } from "../metrics.ts";

/** The streams the JetStream projectors read (their durables are the `CONSUMER` names). */
const PROJECTED_STREAMS = [
  STREAM.results,
  STREAM.events,
  STREAM.audit,
  STREAM.obsEvents,
  STREAM.notifications,
];
const BASES = Object.values(CONSUMER) as string[];

/** A projector durable: upstream's name (shared mode) or `<name>_<node>` (local mode). */
export function isProjectorDurable(name: string): boolean {
  return BASES.some((b) => name === b || name.startsWith(`${b}_`));
}

async function agents(deps: Deps) {
  const { online, offline } = await countAgents(deps.db, deps.config.aliveWindowSecs);
  agentsGauge.set({ state: "online" }, online);
  agentsGauge.set({ state: "offline" }, offline);
}

async function consumers(deps: Deps) {
  const seen: ConsumerInfo[] = [];
  for (const stream of PROJECTED_STREAMS) {
    try {
      const page = await deps.nats.jsm.consumers.list(stream).next();
      seen.push(...page.filter((ci) => isProjectorDurable(ci.name)));
    } catch (e) {
      if (!isNotFound(e)) throw e; // a stream not created yet has no durables
    }
  }
  // Replace, not merge: a durable deleted since the last scrape disappears.
  for (const g of Object.values(consumerGauges)) g.reset();
  for (const ci of seen) {
    const l = { stream: ci.stream_name, durable: ci.name };
    consumerGauges.pending.set(l, ci.num_pending);
    consumerGauges.ackPending.set(l, ci.num_ack_pending);
    consumerGauges.lag.set(l, ci.num_pending + ci.num_ack_pending);
    consumerGauges.redelivered.set(l, ci.num_redelivered);
  }
}

/** Refreshes the scrape-time gauges; never throws. */
export async function collectScrapeGauges(deps: Deps): Promise<void> {
  const reads: [string, () => Promise<void>][] = [
    ["db", () => agents(deps)],
    ["broker", () => consumers(deps)],
  ];
  await Promise.all(reads.map(async ([source, read]) => {
    try {
      await read();
    } catch (e) {
      scrapeErrors.inc({ source });
      deps.log.warn("metrics: scrape-time read failed", { source, err: e });
    }
  }));
}
