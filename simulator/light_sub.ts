/**
 * A core NATS subscription with only what the broker sees: `SUB <subject> <sid>`, its
 * messages to one callback, `UNSUB <sid>`; resubscribed by nats.js after a reconnect like
 * any other. The simulator's agents hold ten of these each.
 *
 * Why not `nc.subscribe`: each nats.js subscription is also an async iterator with three
 * deferred promises and their closures. In a heap snapshot of a 5,000-agent simulator after
 * GC they were more than half of its 91.8 MiB (40.3 MiB with these): about 10 KB an agent,
 * a third of a 100,000-agent simulator's RSS. (Its CPU per exec to all did not change.)
 *
 * This registers a plain object with the connection's protocol handler, which dispatches
 * by sid and asks a subscription only for the fields below (nats.js 3.x, `ProtocolHandler`
 * and `Subscriptions` in nats-core's protocol.js). Should that handler ever be missing, it
 * falls back to `nc.subscribe`, so a nats.js upgrade costs memory, never messages.
 */
import type { Msg, NatsConnection } from "@nats-io/transport-node";

/** What a caller keeps of a subscription. */
export interface LightSub {
  unsubscribe(): void;
}

/** The part of nats.js's protocol handler this relies on. */
interface Protocol {
  subscribe(s: LightSubscription): void;
  unsubscribe(s: LightSubscription): void;
}

class LightSubscription implements LightSub {
  // Read and written by the protocol handler.
  sid = 0;
  received = 0;
  max: number | undefined = undefined;
  readonly queue = undefined;
  closed = false;

  constructor(
    private readonly protocol: Protocol,
    readonly subject: string,
    private readonly onMsg: (m: Msg) => void,
  ) {}

  /** Called by the handler per message, and with an error (permission denied) before close. */
  callback(err: Error | null, msg: Msg) {
    if (!err) this.onMsg(msg);
  }

  /** The handler's cancel (after UNSUB, or when the connection closes). */
  close() {
    this.closed = true;
  }

  /** Connection drain: nothing is queued here, so it is an unsubscribe. */
  drain(): Promise<void> {
    this.unsubscribe();
    return Promise.resolve();
  }

  unsubscribe() {
    if (this.closed) return;
    // Sends UNSUB (unless the connection is closed) and cancels: close() is called back.
    this.protocol.unsubscribe(this);
  }
}

function protocolOf(nc: NatsConnection): Protocol | null {
  const p = (nc as unknown as { protocol?: Partial<Protocol> }).protocol;
  return p && typeof p.subscribe === "function" && typeof p.unsubscribe === "function"
    ? p as Protocol
    : null;
}

export function lightSubscribe(
  nc: NatsConnection,
  subject: string,
  onMsg: (m: Msg) => void,
): LightSub {
  const protocol = protocolOf(nc);
  if (!protocol) {
    return nc.subscribe(subject, {
      callback: (e, m) => {
        if (!e) onMsg(m);
      },
    });
  }
  if (nc.isClosed()) throw new Error("connection closed");
  const s = new LightSubscription(protocol, subject, onMsg);
  protocol.subscribe(s);
  return s;
}
