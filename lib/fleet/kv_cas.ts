/**
 * Revision-checked read-modify-write on one KV key (lesson #505: blind get→put loses
 * concurrent edits). The loop reads the entry, applies a pure mutation, and writes with the
 * read revision as the expected last sequence (`kv.create` when the key is absent, where a
 * delete/purge marker counts as absent). A conflicting writer makes the write fail and the
 * loop re-reads. A mutation whose encoded bytes equal the stored bytes writes nothing, so a
 * no-op never bumps the revision nor creates the key.
 */
import type { KV, KvEntry } from "@nats-io/kv";
import { DeliverPolicy } from "@nats-io/jetstream";
import { conflict, internal, unavailable } from "../errors.ts";
import type { Nats } from "../nats.ts";

/** Returned by a mutation to remove the key instead of writing it. */
export const DELETE = Symbol("delete");

export interface Codec<T> {
  /** Decode stored bytes; throw on garbage. */
  decode(bytes: Uint8Array): T;
  /** Canonical bytes: equal values must give equal strings. */
  encode(value: T): string;
  /** The value an absent key stands for. */
  empty(): T;
}

export interface CasResult<T> {
  value: T;
  changed: boolean;
  /** Revision after the call (null when the key is absent). */
  revision: number | null;
  /** Attempts it took (1 = no conflict). */
  attempts: number;
}

export interface CasOptions {
  /** Give up after this many conflicting writes (default 50). */
  maxAttempts?: number;
  /** What an undecodable stored value does: `throw` (default) or `empty` (overwrite). */
  onCorrupt?: "throw" | "empty";
}

const td = new TextDecoder();

/** A live (non-deleted) entry, or null. */
export function liveEntry(e: KvEntry | null): KvEntry | null {
  if (!e || e.operation === "DEL" || e.operation === "PURGE") return null;
  return e;
}

/** True for the "expected last sequence" rejection of a conflicting write. */
export function isWrongLastSequence(e: unknown): boolean {
  const err = e as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  const code = typeof err?.code === "number" ? err.code : err?.api_error?.err_code;
  return code === 10071 || code === 10164 ||
    /wrong last sequence|key exists/i.test(String(err?.message ?? e));
}

/** Open a KV bucket or fail with 503 (the bootstrap should have created it). */
export async function openKv(nats: Nats, bucket: string): Promise<KV> {
  try {
    return await nats.kv(bucket);
  } catch (e) {
    throw unavailable(`KV bucket '${bucket}' is not available`, e);
  }
}

/** Read and decode a key; `null` when absent or deleted. */
export async function readKey<T>(
  kv: KV,
  key: string,
  codec: Codec<T>,
): Promise<{ value: T; revision: number } | null> {
  const e = liveEntry(await kv.get(key));
  if (!e) return null;
  try {
    return { value: codec.decode(e.value), revision: e.revision };
  } catch (err) {
    throw internal(`stored value of '${key}' is not decodable: ${(err as Error).message}`, err);
  }
}

export async function casUpdate<T>(
  kv: KV,
  key: string,
  codec: Codec<T>,
  mutate: (current: T, exists: boolean) => T | typeof DELETE,
  opts: CasOptions = {},
): Promise<CasResult<T>> {
  const max = opts.maxAttempts ?? 50;
  for (let attempt = 1; attempt <= max; attempt++) {
    const entry = liveEntry(await kv.get(key));
    let current: T;
    if (entry) {
      try {
        current = codec.decode(entry.value);
      } catch (err) {
        if (opts.onCorrupt !== "empty") {
          throw internal(
            `stored value of '${key}' is not decodable: ${(err as Error).message}`,
            err,
          );
        }
        current = codec.empty();
      }
    } else {
      current = codec.empty();
    }
    const next = mutate(current, entry !== null);
    try {
      if (next === DELETE) {
        if (!entry) {
          return { value: codec.empty(), changed: false, revision: null, attempts: attempt };
        }
        await kv.delete(key, { previousSeq: entry.revision });
        return { value: codec.empty(), changed: true, revision: null, attempts: attempt };
      }
      const bytes = codec.encode(next);
      const stored = entry ? td.decode(entry.value) : codec.encode(codec.empty());
      if (bytes === stored) {
        return {
          value: next,
          changed: false,
          revision: entry?.revision ?? null,
          attempts: attempt,
        };
      }
      const revision = entry
        ? await kv.update(key, bytes, entry.revision)
        : await kv.create(key, bytes);
      return { value: next, changed: true, revision, attempts: attempt };
    } catch (e) {
      if (!isWrongLastSequence(e)) throw e;
      // Someone else wrote in between: jittered pause, then re-read and re-apply.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(5 * attempt, 50)));
    }
  }
  throw conflict(`too many concurrent edits of '${key}', retry`);
}

/**
 * Every live key of a whole bucket with its value in one pass: an ordered consumer on the
 * bucket's stream delivering the last message per subject (one round trip per batch instead
 * of one `get` per key; ~10× faster for thousands of PCs). Delete/purge markers are skipped.
 */
export async function kvSnapshot(
  nats: Nats,
  bucket: string,
): Promise<{ key: string; value: Uint8Array; revision: number }[]> {
  const stream = `KV_${bucket}`;
  let messages: number;
  try {
    messages = (await nats.jsm.streams.info(stream)).state.messages;
  } catch (e) {
    throw unavailable(`KV bucket '${bucket}' is not available`, e);
  }
  const out: { key: string; value: Uint8Array; revision: number }[] = [];
  if (messages === 0) return out;
  const prefix = `$KV.${bucket}.`;
  const consumer = await nats.js.consumers.get(stream, {
    filter_subjects: `${prefix}>`,
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    let last = -1;
    let got = 0;
    for await (const m of batch) {
      got++;
      last = m.info.pending;
      const op = m.headers?.get("KV-Operation");
      if (op === "DEL" || op === "PURGE") continue;
      out.push({ key: m.subject.slice(prefix.length), value: m.data, revision: m.seq });
      if (last === 0) break;
    }
    if (last === 0 || got === 0) break;
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out;
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; a pc id or group must also be one subject token. */
const KV_TOKEN_RE = /^[-/_=a-zA-Z0-9]{1,256}$/;
export function isKvToken(value: string): boolean {
  return KV_TOKEN_RE.test(value);
}
