/**
 * One shared NATS connection of the simulator and the agents that use it. KV buckets are
 * opened through the backend's KV gateway (lib/kv.ts; null while a bucket does not exist,
 * so a fleet started before the backend sees it once the bootstrap created it), object
 * stores through the connection wrapper.
 */
import type { ObjectStore } from "@nats-io/obj";
import type { Nats } from "../lib/nats.ts";
import { type KV, openKvOrNull } from "../lib/kv.ts";
import type { Agent } from "./agent.ts";
import { td } from "./util.ts";
import { AckedPublisher } from "../lib/acked_publish.ts";

/** How long an agent's JetStream publish waits for its ack before the outbox retries it. */
const PUBLISH_ACK_TIMEOUT_MS = 5000;

export class Link {
  readonly agents = new Map<string, Agent>();
  disconnectedAt: number | null = null;

  constructor(readonly nats: Nats) {}

  get nc() {
    return this.nats.nc;
  }

  #acks: AckedPublisher | null = null;

  /** JetStream publishes with their ack (made on first use: a connection's inbox and sweep). */
  get acks(): AckedPublisher {
    return this.#acks ??= new AckedPublisher(this.nats.nc, PUBLISH_ACK_TIMEOUT_MS);
  }

  bucket(name: string): Promise<KV | null> {
    return openKvOrNull(this.nats, name).catch(() => null);
  }

  obj(bucket: string): Promise<ObjectStore | null> {
    return this.nats.obj(bucket).catch(() => null);
  }

  async kvString(bucket: string, key: string): Promise<string | null> {
    const kv = await this.bucket(bucket);
    if (!kv) return null;
    try {
      const e = await kv.get(key);
      if (!e || e.operation !== "PUT") return null;
      return td.decode(e.value).trim();
    } catch {
      return null;
    }
  }

  disconnectedMs(): number {
    return this.disconnectedAt === null ? 0 : Date.now() - this.disconnectedAt;
  }
}
