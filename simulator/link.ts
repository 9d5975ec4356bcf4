/**
 * One shared NATS connection of the simulator and the agents that use it, with cached KV and
 * object-store handles (a bucket that does not exist yet is retried on the next call, so a
 * fleet started before the backend sees it once the bootstrap created it).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { Agent } from "./agent.ts";
import type { RunCtl } from "./run.ts";
import { td } from "./util.ts";

export class Link {
  readonly agents = new Map<string, Agent>();
  /** exec_id → runs currently executing (kill routing). */
  readonly runsByExec = new Map<string, Set<RunCtl>>();
  disconnectedAt: number | null = null;
  private kvs = new Map<string, Promise<KV | null>>();
  private objs = new Map<string, Promise<ObjectStore | null>>();

  constructor(readonly nc: NatsConnection, readonly js: JetStreamClient) {}

  kv(bucket: string): Promise<KV | null> {
    let p = this.kvs.get(bucket);
    if (!p) {
      p = new Kvm(this.js).open(bucket, { bindOnly: true }).catch(() => null);
      this.kvs.set(bucket, p);
      // A bucket created later (backend started after us) must become visible.
      p.then((v) => v ?? this.kvs.delete(bucket));
    }
    return p;
  }

  obj(bucket: string): Promise<ObjectStore | null> {
    let p = this.objs.get(bucket);
    if (!p) {
      p = new Objm(this.js).open(bucket).catch(() => null);
      this.objs.set(bucket, p);
      p.then((v) => v ?? this.objs.delete(bucket));
    }
    return p;
  }

  async kvString(bucket: string, key: string): Promise<string | null> {
    const kv = await this.kv(bucket);
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
