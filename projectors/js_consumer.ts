/**
 * The durable pull consumer of a JetStream projector: created on first use (deliver-all,
 * explicit ack), and deleted to make the stream replay (a wiped projection table).
 */
import {
  AckPolicy,
  type ConsumerInfo,
  type ConsumerMessages,
  DeliverPolicy,
} from "@nats-io/jetstream";
import type { Deps } from "../lib/deps.ts";
import { isNotFound } from "../lib/nats.ts";
import { LOST_PULL_CHECK_MS, pullLost } from "../lib/lost_pull.ts";

export async function ensureConsumer(
  deps: Deps,
  spec: { stream: string; durable: string; filter?: string },
  ackWaitMs: number,
  batchSize = 1000,
): Promise<void> {
  const { jsm } = deps.nats;
  try {
    await jsm.consumers.info(spec.stream, spec.durable);
    return;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await jsm.consumers.add(spec.stream, {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ackWaitMs * 1_000_000,
    // Room for a full batch committing, the next one filling and the client's pull buffer.
    max_ack_pending: Math.max(20_000, batchSize * 4),
    ...(spec.filter ? { filter_subject: spec.filter } : {}),
  });
}

/** Delete the durable so it is recreated with deliver-all and the stream replays. */
export async function deleteConsumer(
  deps: Deps,
  stream: string,
  durable: string,
): Promise<boolean> {
  try {
    return await deps.nats.jsm.consumers.delete(stream, durable);
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/**
 * What the pull consumer of a projector tells about itself, in the log. nats.js re-pulls on
 * its own after missed heartbeats, a reconnect or a vanished consumer, and waits (up to its
 * 30 s pull expiry) when the consumer's info cannot be read; without these lines such a
 * pause looked like an idle projector. The pulls and the broker's request statuses are
 * debug; heartbeats are not logged.
 */
export function logConsumerEvents(messages: ConsumerMessages, log: Deps["log"]): void {
  (async () => {
    for await (const n of messages.status()) {
      switch (n.type) {
        case "heartbeats_missed":
          log.warn("projector consumer heard nothing from the broker; re-pulling", {
            missed_heartbeats: n.count,
          });
          break;
        case "consumer_not_found":
        case "consumer_deleted":
        case "stream_not_found":
        case "exceeded_limits":
        case "no_responders":
          log.warn("projector consumer", { event: n.type, ...detail(n) });
          break;
        case "next":
        case "discard":
        case "debug":
        case "reset":
          log.debug("projector consumer", { event: n.type, ...detail(n) });
          break;
      }
    }
  })().catch(() => {/* the consumer stopped */});
}

function detail(n: object): Record<string, unknown> {
  const { type: _type, ...rest } = n as Record<string, unknown>;
  return rest;
}

/**
 * Checks every `everyMs` while the projector waits for messages (`idleSince()` > 0) and,
 * once it has waited that long, asks the broker for the consumer's info; when `pullLost`
 * says so, logs it and stops `messages` (its reader then consumes again). One info request
 * at a time; a failed one is only a missed check.
 */
export function watchPulls(
  consumer: { info(): Promise<ConsumerInfo> },
  messages: Pick<ConsumerMessages, "stop">,
  idleSince: () => number,
  log: Deps["log"],
  everyMs = LOST_PULL_CHECK_MS,
): { stop(): void } {
  let asking = false;
  const timer = setInterval(async () => {
    const since = idleSince();
    if (asking || !since || Date.now() - since < everyMs) return;
    asking = true;
    try {
      const info = await consumer.info();
      // Still waiting, and since before the question: nothing arrived meanwhile.
      const now = idleSince();
      if (now && now <= since && pullLost(info, Date.now() - now, everyMs)) {
        log.warn("projector's pull was lost by the broker; pulling again", {
          num_pending: info.num_pending,
        });
        messages.stop();
      }
    } catch {
      /* a busy or unreachable broker: the next check asks again */
    } finally {
      asking = false;
    }
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}
