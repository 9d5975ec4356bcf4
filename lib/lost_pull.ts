/**
 * The lost-pull test shared by every JetStream pull reader (projectors/js_pull.ts,
 * lib/app_packages/object_io.ts): pure, so it is unit-tested alone.
 */
import type { ConsumerInfo } from "@nats-io/jetstream";

/**
 * Whether a consume's pull was lost: messages wait in the stream for this consumer, none
 * reached the reader for a while, and the broker holds no pull of it. nats-server 2.9.10
 * (Debian's) drops a pull that expires while it is delivering without the 408 that tells
 * the client (fixed upstream in nats-io/nats-server#3942); nats.js then still counts the
 * messages it asked for, pulls nothing more, and only re-pulls after two missed idle
 * heartbeats, 30–45 s with its default (half the 30 s pull expiry). The first exec to all
 * after a start stalled that long (its results' flow met the idle pull's expiry). A 1 s
 * heartbeat was tried instead: during bursts, consumers of the projectors' shared
 * connection then missed heartbeats (plausibly queued behind the burst's messages) and
 * re-pulled for nothing, each with a warning.
 */
export function pullLost(
  info: Pick<ConsumerInfo, "num_pending" | "num_waiting">,
  idleMs: number,
  afterMs: number,
): boolean {
  return idleMs >= afterMs && info.num_pending > 0 && info.num_waiting === 0;
}

/**
 * How long a reader (a projector, a package download) waits for messages before it asks the
 * broker whether its pull was lost, and how often it asks while it waits: one consumer-info
 * request per idle reader every 3 s, and a lost pull costs 3–6 s instead of 30–45.
 */
export const LOST_PULL_CHECK_MS = 3_000;
