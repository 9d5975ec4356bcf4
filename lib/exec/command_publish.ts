/**
 * Sending one Command on its subjects, confirmed by the EXEC stream (protocol.md §3.4).
 *
 * Upstream publishes and flushes. A flush's PONG comes only after the broker has handed
 * the message to every matching subscription, and it says nothing about EXEC, the stream an
 * agent that missed the live copy replays from. EXEC captures `commands.>`, so a publish
 * with a reply subject is a JetStream publish: the stream acks once it has stored the
 * Command. The broker matches the stream's `commands.>` before the literal subscriptions
 * and stores in its own goroutine while the fan-out goes on, so the answer no longer waits
 * for the fan-out, and it now means "stored for every agent". For a 50,000-subscription
 * group on an idle broker: 43 ms for publish + flush, 1.0 ms for the ack
 * (`deno task bench -- --only command_publish`).
 *
 * Plain PUBs with a reply subject, not `js.publish` (which always adds an empty header
 * block): agents get the frame upstream sends, plus a reply subject they ignore. The acks
 * come to the connection's one ack inbox (lib/acked_publish.ts, as the simulator's agents'
 * do), not a request each: an exec to 10,000 explicit PCs is 10,000 subjects, and a request
 * each (its timer, promise and trace) took the exec bench's 0.13 s to 0.80 s.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { AckedPublisher, PublishFailed } from "../acked_publish.ts";

/** A subject whose Command was not confirmed; `sent` says whether it may have gone out. */
export class CommandPublishFailure extends Error {
  override name = "CommandPublishFailure";
  constructor(
    readonly subject: string,
    readonly sent: boolean,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * How long a refusal waits for a PubAck of the same subject before it counts. Agents are
 * delivered the Command with its reply subject and their NATS user may answer it
 * (`allow_responses`): a compromised agent could answer with an error first. EXEC answers
 * each publish once, so the refusal that stands is EXEC's own, a moment later.
 */
const REFUSAL_GRACE_MS = 500;

/** One ack inbox per connection and timeout (the API's connection has one of each). */
const publishers = new WeakMap<NatsConnection, Map<number, AckedPublisher>>();

function publisherFor(nc: NatsConnection, timeoutMs: number): AckedPublisher {
  let byTimeout = publishers.get(nc);
  if (!byTimeout) publishers.set(nc, byTimeout = new Map());
  let p = byTimeout.get(timeoutMs);
  if (!p) byTimeout.set(timeoutMs, p = new AckedPublisher(nc, timeoutMs));
  return p;
}

/** What a failed publish means for the Command: the operator's reason, and if it went out. */
function failureOf(e: unknown, timeoutMs: number): { reason: string; sent: boolean } {
  if (!(e instanceof PublishFailed)) {
    // The connection refused the publish (closed or draining): nothing left this process.
    return { reason: (e as Error)?.message ?? String(e), sent: false };
  }
  switch (e.kind) {
    case "no_responders":
      // Nothing subscribes to the subject, EXEC included: no agent can have it.
      return { reason: "nothing subscribes to it, not even EXEC", sent: false };
    case "timeout":
      return { reason: `no ack from EXEC within ${timeoutMs} ms`, sent: true };
    case "closed":
      return { reason: `no ack from EXEC: ${e.message}`, sent: true };
    default:
      return { reason: `EXEC did not store it: ${e.message}`, sent: true };
  }
}

/**
 * Publish `payload` on each subject in order and wait for EXEC's ack of each. Rejects with
 * the first subject (in order) that failed; `sent` is false only when no agent can have the
 * Command (the connection was closed, or nobody subscribes to any of the subjects).
 */
export async function publishCommand(
  nc: NatsConnection,
  subjects: readonly string[],
  payload: Uint8Array,
  timeoutMs: number,
): Promise<void> {
  if (subjects.length === 0) return;
  let acks: AckedPublisher;
  try {
    acks = publisherFor(nc, timeoutMs);
  } catch (e) {
    throw new CommandPublishFailure(subjects[0], false, (e as Error).message, e);
  }
  // Every publish is written before any ack is awaited: one round trip for all subjects.
  const settled = await Promise.allSettled(
    subjects.map((s) => acks.publish(s, payload, { refusalGraceMs: REFUSAL_GRACE_MS })),
  );
  const failures = settled.map((r) =>
    r.status === "rejected" ? failureOf(r.reason, timeoutMs) : null
  );
  const i = failures.findIndex((f) => f !== null);
  if (i < 0) return;
  // Any subject that went out makes the whole Command possibly published.
  const anySent = failures.some((f) => f === null || f.sent);
  const cause = (settled[i] as PromiseRejectedResult).reason;
  throw new CommandPublishFailure(subjects[i], anySent, failures[i]!.reason, cause);
}
