/**
 * Read the live values of a KV bucket (tolerantly: undecodable values are skipped by
 * the caller). A missing bucket reads as empty, as upstream's list routes answer `[]`.
 */
import type { KV } from "@nats-io/kv";
import { DeliverPolicy } from "@nats-io/jetstream";
import type { Nats } from "../nats.ts";
import { isNotFound } from "../nats.ts";

export interface KvValue {
  key: string;
  value: Uint8Array;
  revision: number;
}

/**
 * Open a bucket, or null when it does not exist. The backing stream is looked up each
 * time: a cached handle would outlive a bucket deleted behind our back.
 */
export async function openKvOrNull(nats: Nats, bucket: string): Promise<KV | null> {
  try {
    await nats.jsm.streams.info(`KV_${bucket}`);
    return await nats.kv(bucket);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

export async function listKeys(kv: KV): Promise<string[]> {
  const out: string[] = [];
  for await (const k of await kv.keys()) out.push(k);
  return out;
}

/** Map over items with at most `limit` in flight (bounded fan-out against the broker). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Every live (non-deleted) entry of `keys` (default: all keys) of a bucket. */
export async function readValues(kv: KV, keys?: readonly string[]): Promise<KvValue[]> {
  const wanted = keys ?? await listKeys(kv);
  const got = await mapLimit(wanted, 32, async (key) => {
    const e = await kv.get(key);
    if (!e || e.operation !== "PUT") return null;
    return { key, value: e.value, revision: e.revision };
  });
  return got.filter((v): v is KvValue => v !== null);
}

/**
 * Every live entry of a bucket in one pass: an ordered consumer on the KV stream with
 * deliver-last-per-subject (one message per key, no per-key round trips), so a bucket
 * with 10,000 keys reads in one stream walk. `[]` when the bucket is missing.
 */
export async function readBucket(nats: Nats, bucket: string): Promise<KvValue[]> {
  const stream = `KV_${bucket}`;
  let info;
  try {
    info = await nats.jsm.streams.info(stream);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  if (info.state.messages === 0) return [];
  const prefix = `$KV.${bucket}.`;
  const consumer = await nats.js.consumers.get(stream, {
    filter_subjects: `${prefix}>`,
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  const byKey = new Map<string, KvValue>();
  const msgs = await consumer.consume({ max_messages: 1000 });
  // A stream that only holds delete markers still ends: the guard stops a stalled walk.
  const guard = setTimeout(() => msgs.stop(), 10_000);
  try {
    for await (const m of msgs) {
      const key = m.subject.slice(prefix.length);
      const op = m.headers?.get("KV-Operation");
      if (op === "DEL" || op === "PURGE") byKey.delete(key);
      else byKey.set(key, { key, value: m.data, revision: m.seq });
      if (m.info.pending === 0) break;
    }
  } finally {
    clearTimeout(guard);
    msgs.stop();
  }
  return [...byKey.values()];
}
