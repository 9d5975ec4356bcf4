/**
 * JetStream publishes with their ack, as the wire has them: a PUB with a reply subject under
 * one inbox of the connection, the stream's PubAck (or error) coming back on it. This is
 * what nats.js `js.publish` and the real agent's client send; the simulator does it itself
 * because nats.js builds, per publish, a request with its own timer, a mux entry and a
 * `RequestError` with a captured stack (thrown away on success). With 200,000 publishes per
 * exec to a 100,000-agent fleet that was about a fifth of the simulator's CPU (and of its
 * garbage), on the box whose two cores the backend under test shares. Here a publish is a
 * map entry; one timer per connection sweeps those past their deadline.
 *
 * The simulator's agents publish their results through it, and the exec pipeline its
 * Commands (lib/exec/command_publish.ts), which also asks for a refusal grace: agents are
 * delivered a Command with its reply subject and may answer it.
 */
import { createInbox, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { type PubAck, readPubAck } from "../wire/pub_ack.ts";

/** Why a publish failed: an error ack, nothing subscribed at all, no ack in time, closed. */
export type PublishFailure = "refused" | "no_responders" | "timeout" | "closed";

/** A publish that got no ack in time, or an error ack: the outbox retries it. */
export class PublishFailed extends Error {
  constructor(message: string, readonly kind: PublishFailure = "refused") {
    super(message);
  }
}

/** The stream's ack, or a PublishFailed with the reason (wire/pub_ack.ts reads it). */
export function decodePubAck(status: number | null, data: Uint8Array): PubAck {
  const o = readPubAck(status, data);
  if (!o.ok) throw new PublishFailed(o.reason, o.noResponders ? "no_responders" : "refused");
  return o.ack;
}

interface Pending {
  resolve: (a: PubAck) => void;
  reject: (e: Error) => void;
  deadline: number;
  /** How long a refusal waits for a PubAck of the same publish before it counts (0: not). */
  graceMs: number;
  /** The first refusal, held during its grace. */
  refusal?: PublishFailed;
  grace?: ReturnType<typeof setTimeout>;
}

export class AckedPublisher {
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  #next = 0;
  readonly #sweep: ReturnType<typeof setInterval>;

  /** One `timeoutMs` for every publish keeps the pending map in deadline order. */
  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
    sweepMs = 250,
  ) {
    this.#prefix = `${createInbox()}.`;
    // The subscription is the connection's: re-made by nats.js after a reconnect; acks
    // lost in between expire here and their entries are retried by the outbox.
    nc.subscribe(`${this.#prefix}*`, { callback: (_e, m) => this.#onAck(m) });
    const sweep = setInterval(() => this.#expire(Date.now()), sweepMs);
    Deno.unrefTimer(sweep);
    this.#sweep = sweep;
    nc.closed().then(() => this.close());
  }

  /**
   * Resolves with the stream's ack; rejects after `timeoutMs` without one or on an error ack
   * (with `refusalGraceMs`, only if no PubAck follows within it).
   */
  publish(
    subject: string,
    payload: string | Uint8Array,
    opts: { refusalGraceMs?: number } = {},
  ): Promise<PubAck> {
    const token = (this.#next++).toString(36);
    const p = Promise.withResolvers<PubAck>();
    this.#pending.set(token, {
      resolve: p.resolve,
      reject: p.reject,
      deadline: Date.now() + this.timeoutMs,
      graceMs: opts.refusalGraceMs ?? 0,
    });
    try {
      this.nc.publish(subject, payload, { reply: this.#prefix + token });
    } catch (e) {
      this.#pending.delete(token);
      p.reject(e as Error);
    }
    return p.promise;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Stops the sweep and fails whatever still waits for its ack. */
  close() {
    clearInterval(this.#sweep);
    this.#expire(Infinity, "closed");
  }

  #onAck(m: Msg) {
    const token = m.subject.slice(this.#prefix.length);
    const p = this.#pending.get(token);
    if (!p) return; // late: already expired and retried
    let ack: PubAck;
    try {
      ack = decodePubAck(m.headers?.code || null, m.data);
    } catch (e) {
      const failed = e as PublishFailed;
      if (p.graceMs <= 0) {
        this.#pending.delete(token);
        p.reject(failed);
      } else if (!p.refusal) {
        p.refusal = failed;
        p.grace = setTimeout(() => {
          if (this.#pending.get(token) !== p) return;
          this.#pending.delete(token);
          p.reject(failed);
        }, p.graceMs);
      }
      return;
    }
    this.#pending.delete(token);
    clearTimeout(p.grace);
    p.resolve(ack);
  }

  #expire(now: number, why: "timeout" | "closed" = "timeout") {
    // Map order is insertion order and every entry has the same timeout, so the first entry
    // still in time ends the walk (no scan of every pending publish).
    for (const [token, p] of this.#pending) {
      if (p.deadline > now) break;
      this.#pending.delete(token);
      clearTimeout(p.grace);
      p.reject(
        p.refusal ??
          new PublishFailed(why === "timeout" ? "no ack in time" : "connection closed", why),
      );
    }
  }
}
