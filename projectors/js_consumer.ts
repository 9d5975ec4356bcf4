/**
 * The durable pull consumer of a JetStream projector: created on first use (deliver-all,
 * explicit ack), and deleted to make the stream replay (a wiped projection table).
 */
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import type { Deps } from "../lib/deps.ts";
import { isNotFound } from "../lib/nats.ts";

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
