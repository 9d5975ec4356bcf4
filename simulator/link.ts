/**
 * One shared NATS connection of the simulator and the agents that use it. KV and object
 * handles come from the backend's own connection wrapper (cached, bind-only; a bucket that
 * does not exist yet is looked up again next time, so a fleet started before the backend
 * sees it once the bootstrap created it).
 */
import type { KV } from "@nats-io/kv";
import type { ObjectStore } from "@nats-io/obj";
import type { Nats } from "../lib/nats.ts";
import type { Agent } from "./agent.ts";
import { td } from "./util.ts";

export class Link {
  readonly agents = new Map<string, Agent>();
  disconnectedAt: number | null = null;

  constructor(readonly nats: Nats) {}

  get nc() {
    return this.nats.nc;
  }

  get js() {
    return this.nats.js;
  }

  kv(bucket: string): Promise<KV | null> {
    return this.nats.kv(bucket).catch(() => null);
  }

  obj(bucket: string): Promise<ObjectStore | null> {
    return this.nats.obj(bucket).catch(() => null);
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
