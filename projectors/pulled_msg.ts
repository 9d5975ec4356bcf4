/**
 * A message received on a projector's own pull (js_pull.ts), settled with JetStream's ack
 * protocol: a publish of `+ACK`, `-NAK [{"delay":ns}]`, `+TERM` or `+WPI` to its reply
 * subject, which also carries its delivery info (`$JS.ACK.<stream>.<consumer>.<delivered>.
 * <stream seq>.<consumer seq>.<ns>.<pending>` from nats-server 2.9; newer brokers add a
 * domain and an account hash after `ACK` and a random token at the end).
 */
import type { DeliveryInfo, JsMsg } from "@nats-io/jetstream";
import type { Msg } from "@nats-io/transport-node";

/** What a projector uses of a JetStream message (our messages and nats.js's alike). */
export type StreamMsg = Pick<
  JsMsg,
  "subject" | "data" | "seq" | "info" | "timestampNanos" | "ack" | "nak" | "term" | "working"
>;

const ACK = new TextEncoder().encode("+ACK");
const TERM = new TextEncoder().encode("+TERM");
const WPI = new TextEncoder().encode("+WPI");
const NAK = new TextEncoder().encode("-NAK");

/** The broker's size of a message, as it counts it against a pull's `max_bytes`. */
function brokerSize(m: Msg): number {
  // nats.js's message knows the size of headers + payload on the wire; the interface does not.
  const total = (m as { size?: () => number }).size?.();
  return total ?? m.subject.length + (m.reply?.length ?? 0) + m.data.length;
}

/** A message received on a pull: acked over its reply subject (JetStream's ack protocol). */
export class PulledMsg implements StreamMsg {
  /** The reply subject's tokens, split once (info and the publish time both read them). */
  #tokens: string[] | null = null;
  #info: DeliveryInfo | null = null;
  #done = false;
  readonly size: number;

  constructor(readonly msg: Msg) {
    this.size = brokerSize(msg);
  }

  get subject(): string {
    return this.msg.subject;
  }
  get data(): Uint8Array {
    return this.msg.data;
  }
  get reply(): string {
    return this.msg.reply ?? "";
  }
  get #t(): string[] {
    return this.#tokens ??= ackTokens(this.reply);
  }
  get info(): DeliveryInfo {
    return this.#info ??= deliveryInfo(this.#t);
  }
  get seq(): number {
    return this.info.streamSequence;
  }
  get timestampNanos(): bigint {
    return BigInt(this.#t[9]);
  }

  #respond(payload: Uint8Array, final = true): void {
    if (this.#done) return;
    this.#done = final;
    this.msg.respond(payload);
  }
  ack(): void {
    this.#respond(ACK);
  }
  nak(delayMs?: number): void {
    this.#respond(
      delayMs
        ? new TextEncoder().encode(`-NAK ${JSON.stringify({ delay: delayMs * 1_000_000 })}`)
        : NAK,
    );
  }
  term(): void {
    // No reason text: nats-server 2.9 does not understand "+TERM <reason>".
    this.#respond(TERM);
  }
  working(): void {
    this.#respond(WPI, false);
  }
}

/** `$JS.ACK.<stream>.<consumer>.…` in its 11-token form (the 9-token one has no domain/hash). */
function ackTokens(reply: string): string[] {
  const t = reply.split(".");
  if (t.length === 9) t.splice(2, 0, "_", "");
  if (t.length < 11 || t[0] !== "$JS" || t[1] !== "ACK") {
    throw new Error(`not a JetStream message (reply subject "${reply}")`);
  }
  return t;
}

function deliveryInfo(t: string[]): DeliveryInfo {
  const deliveryCount = parseInt(t[6], 10);
  return {
    domain: t[2] === "_" ? "" : t[2],
    account_hash: t[3],
    stream: t[4],
    consumer: t[5],
    deliveryCount,
    redelivered: deliveryCount > 1,
    streamSequence: parseInt(t[7], 10),
    deliverySequence: parseInt(t[8], 10),
    timestampNanos: parseInt(t[9], 10),
    pending: parseInt(t[10], 10),
  };
}
