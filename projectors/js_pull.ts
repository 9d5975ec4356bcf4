/**
 * A projector's durable pull consumer read within a budget of messages and bytes
 * (pull_budget.ts says why), with our own pull requests: nats.js's `consume` bounds its
 * pulls by a count or by bytes, never both, and in its bytes mode asks for 100 messages a
 * pull and loses track of the bytes left (thousands of 409 refusals during a 100k-agent
 * burst). The broker takes both in one request.
 *
 * The wire (nats-server 2.9+): a pull is a publish of `{"batch","max_bytes","expires",
 * "idle_heartbeat"}` to `$JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>` with the reader's
 * inbox as reply subject; messages arrive with their stream subject, statuses (heartbeats,
 * a pull's end, refusals) on the inbox itself.
 *
 * Recovery: a reconnect drops the broker's pulls, so the budget forgets its pull and pulls
 * again, and so does a pull the broker lost without a word (lib/lost_pull.ts: asked after
 * `lostPullCheckMs` of waiting for messages); two missed heartbeats while the broker holds
 * a pull, a deleted consumer or a refusal end the iterator after its queue, and the
 * projector's supervisor opens the consumer again.
 */
import type { ConsumerInfo } from "@nats-io/jetstream";
import {
  createInbox,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import type { Logger } from "../lib/log.ts";
import { LOST_PULL_CHECK_MS, pullLost } from "../lib/lost_pull.ts";
import { PullBudget } from "./pull_budget.ts";
import { PulledMsg, type StreamMsg } from "./pulled_msg.ts";

export type { StreamMsg } from "./pulled_msg.ts";

/**
 * A projector's byte budget unless KANADE_PROJECTOR_PULL_MIB says otherwise. With small
 * results the count bound binds first (the projector bench drains as fast as with nats.js's
 * count-bounded consume); with inventory-sized ones the broker holds at most this much for
 * a projector, a quarter of its default 64 MiB slow-consumer limit.
 */
export const DEFAULT_PULL_BYTES = 16 * 1024 * 1024;

export interface JsPullOptions {
  stream: string;
  durable: string;
  /** Messages asked for and not yet taken by the reader, at most. */
  maxMessages: number;
  /** Bytes asked for and not yet taken by the reader, at most (raised to two of the largest messages). */
  budgetBytes?: number;
  /** The consumer's info, asked when the reader has waited `lostPullCheckMs` (lost pulls). */
  consumerInfo?: () => Promise<Pick<ConsumerInfo, "num_pending" | "num_waiting">>;
  lostPullCheckMs?: number;
  /** A pull's life at the broker (default 30 s). */
  expiresMs?: number;
  /** The broker's heartbeat while a pull waits (default 15 s); two missed end the reader. */
  heartbeatMs?: number;
  log: Logger;
}

/** The JetStream API subject a pull is published to. */
export function pullSubject(stream: string, durable: string): string {
  return `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`;
}

/** Room for subject, reply subject and headers on top of the broker's largest payload. */
const ENVELOPE_ROOM = 8 * 1024;

export class JsPull implements AsyncIterableIterator<StreamMsg> {
  readonly budget: PullBudget;
  #queue: PulledMsg[] = [];
  #head = 0;
  #wake: ((r: IteratorResult<StreamMsg>) => void) | null = null;
  #ending = false;
  #sub: Subscription;
  #status: AsyncIterable<unknown> & { stop?(): void };
  #heardAt = Date.now();
  #hbTimer: ReturnType<typeof setInterval>;
  #lostTimer: ReturnType<typeof setInterval> | undefined;
  /** Since when the reader waits for a message (0 while it has one to handle). */
  #waitingSince = 0;
  readonly #inbox: string;
  readonly #subject: string;
  readonly #expiresMs: number;
  readonly #heartbeatMs: number;
  /** Pulls sent (the tests watch it). */
  readonly counts = { pulls: 0 };

  constructor(private readonly nc: NatsConnection, private readonly opts: JsPullOptions) {
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    this.budget = new PullBudget(
      opts.maxMessages,
      opts.budgetBytes ?? DEFAULT_PULL_BYTES,
      maxPayload + ENVELOPE_ROOM,
    );
    this.#expiresMs = opts.expiresMs ?? 30_000;
    this.#heartbeatMs = opts.heartbeatMs ?? Math.min(15_000, this.#expiresMs / 2);
    this.#inbox = createInbox();
    this.#subject = pullSubject(opts.stream, opts.durable);
    this.#sub = nc.subscribe(this.#inbox, { callback: (err, m) => this.#receive(err, m) });
    this.#status = nc.status();
    this.#watchConnection();
    this.#hbTimer = setInterval(() => this.#checkHeartbeats(), this.#heartbeatMs);
    if (opts.consumerInfo) this.#lostTimer = this.#watchLostPulls(opts.consumerInfo);
    this.#pull();
  }

  /**
   * Every `lostPullCheckMs` while the reader waits: once it has waited that long, ask the
   * consumer's info (one request at a time; a failed one is only a missed check) and pull
   * again when `pullLost` says the broker holds no pull of ours.
   */
  #watchLostPulls(info: NonNullable<JsPullOptions["consumerInfo"]>) {
    const everyMs = this.opts.lostPullCheckMs ?? LOST_PULL_CHECK_MS;
    let asking = false;
    return setInterval(async () => {
      const since = this.#waitingSince;
      if (asking || !since || Date.now() - since < everyMs) return;
      asking = true;
      try {
        const got = await info();
        // Still waiting, and since before the question: nothing arrived meanwhile.
        const now = this.#waitingSince;
        if (now && now <= since && pullLost(got, Date.now() - now, everyMs) && !this.#ending) {
          this.opts.log.warn("projector's pull was lost by the broker; pulling again", {
            num_pending: got.num_pending,
          });
          this.repull();
        }
      } catch {
        /* a busy or unreachable broker: the next check asks again */
      } finally {
        asking = false;
      }
    }, everyMs);
  }

  /** Forget the pulls the broker holds (it lost one: lib/lost_pull.ts) and pull again. */
  repull(): void {
    this.budget.forget();
    this.#pull();
  }

  #pull(): void {
    if (this.#ending || this.nc.isClosed()) return;
    const ask = this.budget.nextPull();
    if (!ask) return;
    this.budget.asked(ask);
    this.counts.pulls++;
    const req = {
      batch: ask.batch,
      max_bytes: ask.maxBytes,
      expires: this.#expiresMs * 1_000_000,
      idle_heartbeat: this.#heartbeatMs * 1_000_000,
    };
    this.nc.publish(this.#subject, JSON.stringify(req), { reply: this.#inbox });
    this.opts.log.debug("projector consumer", { event: "next", ...ask });
  }

  #receive(err: Error | null, m: Msg): void {
    if (err) return this.#end("subscription refused", { err: err.message });
    this.#heardAt = Date.now();
    if (m.subject !== this.#inbox) {
      const pm = new PulledMsg(m);
      this.budget.arrived(pm.size);
      if (this.#wake) {
        const wake = this.#wake;
        this.#wake = null;
        this.#waitingSince = 0;
        this.budget.taken(pm.size);
        wake({ value: pm, done: false });
      } else this.#queue.push(pm);
      // The pull may have ended with this message (its count or bytes used up).
      this.#pull();
      return;
    }
    const code = m.headers?.code ?? 0;
    const description = m.headers?.description ?? "";
    if (code === 100) return; // a heartbeat: #heardAt is all it is for
    // The live pull ended: expired (408), its next message did not fit (409), or (newer
    // brokers) a leadership change or a shutdown, which say what the pull left.
    const ended = code === 408 ||
      (code === 409 && !/consumer deleted/i.test(description) &&
        (/exceeds maxbytes/i.test(description) || m.headers?.has("Nats-Pending-Messages")));
    if (ended) {
      this.budget.ended();
      this.#pull();
      return;
    }
    // A deleted consumer, no responders, a limit of the consumer refusing the pull: the
    // supervisor opens the consumer again.
    this.#end("pull refused", { code, description });
  }

  #checkHeartbeats(): void {
    if (this.#ending || !this.budget.pulling) return;
    const silentMs = Date.now() - this.#heardAt;
    if (silentMs > 2 * this.#heartbeatMs) {
      this.opts.log.warn("projector consumer heard nothing from the broker; re-pulling", {
        missed_heartbeats: Math.floor(silentMs / this.#heartbeatMs),
      });
      this.#end();
    }
  }

  #watchConnection(): void {
    (async () => {
      for await (const s of this.#status as AsyncIterable<{ type: string }>) {
        if (s.type === "reconnect" && !this.#ending) this.repull();
      }
    })().catch(() => {/* the connection closed */});
  }

  /** Stop pulling; the iterator ends once its queue is taken. */
  #end(why?: string, fields?: Record<string, unknown>): void {
    if (this.#ending) return;
    if (why) this.opts.log.warn("projector consumer stopped", { event: why, ...fields });
    this.#ending = true;
    clearInterval(this.#hbTimer);
    clearInterval(this.#lostTimer);
    this.#status.stop?.();
    try {
      this.#sub.unsubscribe();
    } catch { /* the connection closed */ }
    if (this.#wake && this.#head >= this.#queue.length) {
      const wake = this.#wake;
      this.#wake = null;
      wake({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<StreamMsg>> {
    if (this.#head < this.#queue.length) {
      const pm = this.#queue[this.#head++];
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.budget.taken(pm.size);
      this.#pull();
      return Promise.resolve({ value: pm, done: false });
    }
    if (this.#ending) return Promise.resolve({ value: undefined, done: true });
    this.#waitingSince = Date.now();
    return new Promise((resolve) => this.#wake = resolve);
  }

  /** Stop now: what is queued is dropped unacked (the broker redelivers it after the ack wait). */
  stop(): void {
    this.#queue = [];
    this.#head = 0;
    this.#end();
  }

  return(): Promise<IteratorResult<StreamMsg>> {
    this.stop();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
