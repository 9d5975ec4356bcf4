/**
 * Idempotent create-or-update of every stream, KV bucket and object store
 * (`deno task setup`, and at start-up). Existing resources whose settings already match
 * are adopted unchanged; streams whose limits drifted are updated in place.
 */
import { z } from "zod";
import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from "@nats-io/jetstream";
import type { Nats } from "./nats.ts";
import { isNotFound, whileStarting } from "./nats.ts";
import { createKv } from "./kv.ts";
import { KV_BUCKETS, OBJECT_STORES, STREAMS, type StreamSpec } from "../wire/resources.ts";
import { log } from "./log.ts";

export interface SetupReport {
  created: string[];
  updated: string[];
  unchanged: string[];
}

function streamConfig(s: StreamSpec, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    subjects: s.subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: Number(s.maxAgeNanos),
    max_msgs_per_subject: s.maxMsgsPerSubject ?? -1,
    max_bytes: s.maxBytes,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
  };
}

const DRIFT_KEYS = [
  "max_age",
  "max_msgs_per_subject",
  "max_bytes",
  "discard",
  "num_replicas",
] as const;

export async function setupJetStream(
  nats: Nats,
  opts: { replicas?: number } = {},
): Promise<SetupReport> {
  const replicas = opts.replicas ?? 1;
  const report: SetupReport = { created: [], updated: [], unchanged: [] };

  for (const spec of STREAMS) {
    const want = streamConfig(spec, replicas);
    let info;
    try {
      info = await nats.jsm.streams.info(spec.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!info) {
      await nats.jsm.streams.add(want);
      report.created.push(spec.name);
      continue;
    }
    const have = info.config as unknown as Record<string, unknown>;
    const drift = DRIFT_KEYS.filter((k) => have[k] !== (want as Record<string, unknown>)[k]);
    const missingSubjects = spec.subjects.filter((s) => !info.config.subjects?.includes(s));
    if (drift.length === 0 && missingSubjects.length === 0) {
      report.unchanged.push(spec.name);
      continue;
    }
    const next = {
      ...info.config,
      ...want,
      subjects: [...new Set([...(info.config.subjects ?? []), ...spec.subjects])],
    };
    await nats.jsm.streams.update(spec.name, next);
    report.updated.push(spec.name);
    log.info("stream updated", { stream: spec.name, drift, missingSubjects });
  }

  for (const kv of KV_BUCKETS) {
    const stream = `KV_${kv.bucket}`;
    if (await exists(nats, stream)) {
      report.unchanged.push(stream);
      continue;
    }
    await createKv(nats, kv.bucket, {
      history: kv.history,
      replicas,
      ...(kv.ttlNanos ? { ttl: Number(kv.ttlNanos / 1_000_000n) } : {}),
    });
    report.created.push(stream);
  }

  for (const o of OBJECT_STORES) {
    const stream = `OBJ_${o.bucket}`;
    if (await exists(nats, stream)) {
      report.unchanged.push(stream);
      continue;
    }
    await nats.objm.create(o.bucket, {
      replicas,
      storage: StorageType.File,
      ...(o.maxAgeNanos ? { ttl: Number(o.maxAgeNanos) } : {}),
      ...(o.maxBytes ? { max_bytes: o.maxBytes } : {}),
    });
    report.created.push(stream);
  }
  return report;
}

/** `setupJetStream`, retried while JetStream cannot answer yet (see `whileStarting`). */
export function setupJetStreamRetrying(
  nats: Nats,
  opts: { replicas?: number; retryForMs?: number } = {},
): Promise<SetupReport> {
  return whileStarting("JetStream bootstrap", () => setupJetStream(nats, opts), opts.retryForMs);
}

async function exists(nats: Nats, stream: string): Promise<boolean> {
  try {
    await nats.jsm.streams.info(stream);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

const ResourceStatusSchema = z.strictObject({
  name: z.string().meta({
    description: "stream name (`KV_<bucket>`, `OBJ_<store>` for buckets and stores)",
  }),
  exists: z.boolean(),
  bytes: z.number().int(),
  messages: z.number().int(),
  max_bytes: z.number().int().optional().meta({
    description: "present when the stream has a byte limit",
  }),
});
export type ResourceStatus = z.infer<typeof ResourceStatusSchema>;

export const JetStreamStatusSchema = z.strictObject({
  streams: z.array(ResourceStatusSchema),
  kv_buckets: z.array(ResourceStatusSchema),
  object_stores: z.array(ResourceStatusSchema),
});

/** `GET /api/jetstream/status` body: streams, `KV_*` and `OBJ_*` backing streams. */
export async function jetstreamStatus(nats: Nats) {
  const one = async (name: string): Promise<ResourceStatus> => {
    try {
      const info = await nats.jsm.streams.info(name);
      const out: ResourceStatus = {
        name,
        exists: true,
        bytes: info.state.bytes,
        messages: info.state.messages,
      };
      if (info.config.max_bytes && info.config.max_bytes > 0) out.max_bytes = info.config.max_bytes;
      return out;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return { name, exists: false, bytes: 0, messages: 0 };
    }
  };
  return {
    streams: await Promise.all(STREAMS.map((s) => one(s.name))),
    kv_buckets: await Promise.all(KV_BUCKETS.map((k) => one(`KV_${k.bucket}`))),
    object_stores: await Promise.all(OBJECT_STORES.map((o) => one(`OBJ_${o.bucket}`))),
  };
}
