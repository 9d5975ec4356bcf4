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
 * of all subjects come to one inbox subscription, not a request each: an exec to 10,000
 * explicit PCs is 10,000 subjects, and a request each (its timer, promise and trace) took
 * the exec bench's 0.13 s to 0.80 s.
 */
import { createInbox, type NatsConnection } from "@nats-io/transport-node";
import { readPubAck } from "../../wire/pub_ack.ts";

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

interface Refusal {
  reason: string;
  /** Whether agents may have the Command despite it. */
  sent: boolean;
}

/**
 * Publish `payload` on each subject in order and wait for EXEC's ack of each. Rejects with
 * the first subject (in order) that was refused, or else that got no ack; `sent` is false
 * only when no agent can have the Command (the connection was closed, or nobody subscribes
 * to any of the subjects).
 */
export function publishCommand(
  nc: NatsConnection,
  subjects: readonly string[],
  payload: Uint8Array,
  timeoutMs: number,
): Promise<void> {
  if (subjects.length === 0) return Promise.resolve();
  const inbox = createInbox();
  const stored = subjects.map(() => false);
  const refused: (Refusal | undefined)[] = subjects.map(() => undefined);
  let waiting = subjects.length;
  let written = 0;
  return new Promise<void>((resolve, reject) => {
    let sub: ReturnType<NatsConnection["subscribe"]> | undefined;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(grace);
      sub?.unsubscribe();
      if (waiting === 0) return resolve();
      let i = refused.findIndex((r, j) => r !== undefined && !stored[j]);
      if (i < 0) i = stored.indexOf(false);
      const why = refused[i] ?? { reason: `no ack from EXEC within ${timeoutMs} ms`, sent: true };
      // Any subject that went out makes the whole Command possibly published.
      const anySent = subjects.some((_, j) => stored[j] || (refused[j]?.sent ?? true));
      reject(new CommandPublishFailure(subjects[i], anySent, why.reason));
    };
    const refuse = (i: number, r: Refusal) => {
      refused[i] ??= r;
      grace ??= setTimeout(finish, REFUSAL_GRACE_MS);
    };
    const timer = setTimeout(finish, timeoutMs);
    try {
      sub = nc.subscribe(`${inbox}.*`, {
        callback: (err, msg) => {
          if (err) {
            // The subscription ended (connection closed): what is left is unknown.
            stored.forEach((ok, j) => {
              if (!ok) refused[j] ??= { reason: `no ack from EXEC: ${err.message}`, sent: true };
            });
            return finish();
          }
          const i = Number(msg.subject.slice(inbox.length + 1));
          if (!Number.isInteger(i) || i < 0 || i >= subjects.length || stored[i]) return;
          const ack = readPubAck(msg.headers?.code || null, msg.data);
          if (ack.ok) {
            stored[i] = true;
            if (--waiting === 0) finish();
          } else if (ack.noResponders) {
            // Nothing subscribes to the subject, EXEC included: no agent can have it.
            refuse(i, { reason: "nothing subscribes to it, not even EXEC", sent: false });
          } else refuse(i, { reason: `EXEC did not store it: ${ack.reason}`, sent: true });
        },
      });
      for (; written < subjects.length; written++) {
        nc.publish(subjects[written], payload, { reply: `${inbox}.${written}` });
      }
    } catch (e) {
      // Closed (or draining) before or while publishing: what was not written never left;
      // what was written before the throw may have.
      for (let j = written; j < subjects.length; j++) {
        refused[j] = { reason: (e as Error).message, sent: false };
      }
      for (let j = 0; j < written; j++) {
        refused[j] ??= { reason: (e as Error).message, sent: true };
      }
      finish();
    }
  });
}
