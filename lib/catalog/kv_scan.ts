/**
 * Read the live values of a KV bucket (tolerantly: undecodable values are skipped by
 * the caller). A missing bucket reads as empty, as upstream's list routes answer `[]`.
 */
import type { KV } from "@nats-io/kv";
import type { Nats } from "../nats.ts";
import { isNotFound } from "../nats.ts";

export interface KvValue {
  key: string;
  value: Uint8Array;
  revision: number;
}

/** Open a bucket, or null when it does not exist. */
export async function openKvOrNull(nats: Nats, bucket: string): Promise<KV | null> {
  try {
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

/** `readValues` on a bucket by name; `[]` when the bucket is missing. */
export async function readBucket(nats: Nats, bucket: string): Promise<KvValue[]> {
  const kv = await openKvOrNull(nats, bucket);
  return kv ? await readValues(kv) : [];
}
