/**
 * The one gateway to JetStream KV. Every KV access of the backend goes through this
 * module (`tests/owners_test.ts` fails on a bucket opened anywhere else), so opening,
 * scanning, compare-and-swap and the revision-conflict test exist once, with one error
 * mapping for every operation of a handle it opened:
 *
 * | failure                                              | becomes                                  |
 * | ---------------------------------------------------- | ---------------------------------------- |
 * | the bucket (its `KV_<bucket>` stream) does not exist | `UnavailableError` "KV bucket '<b>' is not available (run setup)"; `openKvOrNull` → null, `kvSnapshot` → [] |
 * | the broker did not answer (timeout, no responders, closed or draining connection) | `UnavailableError` "message broker unavailable, retry shortly" (retry-after 2). Never "missing": a leader election is not a deleted bucket |
 * | a revision-checked write lost its race               | unchanged; test it with `isRevisionConflict`, or use `kvSwap` / `casUpdate`, which return instead of throwing |
 * | anything else (an invalid key, a domain error)       | unchanged                                |
 *
 * Adopting it for a new bucket (name in `wire/names.ts`, spec in `wire/resources.ts`, so
 * the bootstrap creates it):
 *
 *     const kv = await openKv(nats, BUCKET.x);        // must exist (the bootstrap made it)
 *     const kv = await openKvOrNull(nats, BUCKET.x);  // optional: null when it does not exist
 *     await readKey(kv, key, codec);                  // typed read: {value, revision} | null
 *     await casUpdate(kv, key, codec, (cur) => next); // read-modify-write, retried on conflicts
 *     await kvSwap(kv, key, bytes, revision);          // one revision-checked write (null = absent);
 *                                                      // the new revision, or null when it lost
 *     await kvScan(kv, { filter: "pc.>" });            // live entries under a key filter
 *     await kvSnapshot(nats, BUCKET.x);                // every live entry in one stream pass
 *     followBucket(nats, BUCKET.x, {apply, reset}, log) // watched: values, then every change;
 *                                                      // catchUp() before a consistent read
 *
 * Handles are bound once per connection view (`Nats.kv`, no round trip) and keep the
 * view's request timeout: the scheduler's short-timeout view gets short-timeout handles.
 *
 * Why one file of ~370 lines: it is the single door to KV on purpose (the owners test
 * names it); its parts (mapping, opening, scans, compare-and-swap) share the mapping and
 * the conflict test, and a reader adopting KV finds everything here.
 */
import type { KV, KvEntry, KvOptions } from "@nats-io/kv";
import { DeliverPolicy } from "@nats-io/jetstream";
import { conflict, DomainError, internal, UnavailableError } from "./errors.ts";
import { isBrokerUnavailable, type Nats } from "./nats.ts";
import type { Logger } from "./log.ts";
import { mapLimit } from "./map_limit.ts";
import { retryWhile } from "../util/retry.ts";

export type { KV, KvEntry, KvWatchEntry } from "@nats-io/kv";

/** One live entry as scans return it. */
export interface KvValue {
  key: string;
  value: Uint8Array;
  revision: number;
}

// ---------------------------------------------------------------- error mapping

const STREAM_NOT_FOUND = 10059;
const WRONG_LAST_SEQUENCE = [10071, 10164];

function jsCodes(e: unknown): number[] {
  const out: number[] = [];
  for (let cur = e as Record<string, unknown> | undefined, i = 0; cur && i < 5; i++) {
    const api = cur.api_error as { err_code?: unknown } | undefined;
    for (const c of [cur.code, api?.err_code]) if (typeof c === "number") out.push(c);
    cur = cur.cause as Record<string, unknown> | undefined;
  }
  return out;
}

/**
 * The broker refused a revision-checked write (`update`, `create`, a delete with
 * `previousSeq`) because the key moved on: another writer got there first. The one
 * test of that condition in the backend.
 */
export function isRevisionConflict(e: unknown): boolean {
  if (jsCodes(e).some((c) => WRONG_LAST_SEQUENCE.includes(c))) return true;
  // A cluster node answering late relays the condition as text only.
  return /wrong last sequence|key exists/i.test(String((e as Error)?.message ?? e));
}

/** The bucket's backing stream does not exist (a JetStream API answer, not a silence). */
export function isBucketMissing(e: unknown): boolean {
  return jsCodes(e).includes(STREAM_NOT_FOUND);
}

/** The one mapping of a KV failure to a domain error (see the table above). */
export function kvFailure(bucket: string, e: unknown): unknown {
  if (e instanceof DomainError || isRevisionConflict(e)) return e;
  if (isBrokerUnavailable(e)) {
    return new UnavailableError("message broker unavailable, retry shortly", {
      cause: e,
      retryAfterSecs: 2,
    });
  }
  if (isBucketMissing(e)) {
    return new UnavailableError(`KV bucket '${bucket}' is not available (run setup)`, {
      cause: e,
    });
  }
  return e;
}

/** A handle whose every operation fails through `kvFailure`. */
function mapped(bucket: string, kv: KV): KV {
  return new Proxy(kv, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        let out: unknown;
        try {
          out = v.apply(target, args);
        } catch (e) {
          throw kvFailure(bucket, e);
        }
        return out instanceof Promise
          ? out.catch((e) => {
            throw kvFailure(bucket, e);
          })
          : out;
      };
    },
  });
}

// ---------------------------------------------------------------- opening

/** A bucket that must exist (the bootstrap creates it); failures of its use map as above. */
export async function openKv(nats: Nats, bucket: string): Promise<KV> {
  try {
    return mapped(bucket, await nats.kv(bucket));
  } catch (e) {
    throw kvFailure(bucket, e);
  }
}

/**
 * A bucket that may legitimately be absent (upstream list routes answer `[]` then), or
 * null. Its backing stream is looked up each time: a cached handle would outlive a bucket
 * deleted behind our back. A broker that does not answer throws (never null).
 */
export async function openKvOrNull(nats: Nats, bucket: string): Promise<KV | null> {
  try {
    await nats.jsm.streams.info(`KV_${bucket}`);
  } catch (e) {
    if (isBucketMissing(e)) return null;
    throw kvFailure(bucket, e);
  }
  return await openKv(nats, bucket);
}

/**
 * One key of a bucket that may be absent (null then, as `openKvOrNull` reads it). The
 * bucket lookup and the read go out together: one round trip of waiting instead of two,
 * which the exec route pays on every call to read its job.
 */
export async function getFromOptionalBucket(
  nats: Nats,
  bucket: string,
  key: string,
): Promise<KvEntry | null> {
  const [info, entry] = await Promise.allSettled([
    nats.jsm.streams.info(`KV_${bucket}`),
    openKv(nats, bucket).then((kv) => kv.get(key)),
  ]);
  if (info.status === "rejected") {
    if (isBucketMissing(info.reason)) return null;
    throw kvFailure(bucket, info.reason);
  }
  if (entry.status === "rejected") throw kvFailure(bucket, entry.reason);
  return entry.value;
}

/** Creates a bucket, or binds to it when it exists with that config (bootstrap, jobs). */
export async function createKv(
  nats: Nats,
  bucket: string,
  opts: Partial<KvOptions>,
): Promise<KV> {
  try {
    return mapped(bucket, await nats.kvm.create(bucket, opts));
  } catch (e) {
    throw kvFailure(bucket, e);
  }
}

// ---------------------------------------------------------------- reads

/** A live (non-deleted) entry, or null. */
export function liveEntry<E extends KvEntry>(e: E | null | undefined): E | null {
  if (!e || e.operation === "DEL" || e.operation === "PURGE") return null;
  return e;
}

/** Every key under `filter` (default all), delete markers excluded by the server. */
export async function kvKeys(kv: KV, filter = ">"): Promise<string[]> {
  // nats.js `keys()` creates a consumer on the broker first and, when the bucket is empty,
  // returns without removing it: the consumer then idles for its 5-minute inactivity
  // threshold. The alert engine scans its (usually empty) rules bucket every 2 s, which
  // kept ~150 such consumers on the broker at all times. An empty bucket needs no consumer.
  if ((await kv.status()).values === 0) return [];
  const out: string[] = [];
  for await (const k of await kv.keys(filter)) out.push(k);
  return out;
}

/**
 * The live entries of `keys`, or of every key under `filter` (default all): a key
 * listing, then gets with at most 32 in flight. For a few hundred keys or a prefix; a
 * whole big bucket reads faster with `kvSnapshot`.
 */
export async function kvScan(
  kv: KV,
  opts: { keys?: readonly string[]; filter?: string } = {},
): Promise<KvValue[]> {
  const wanted = opts.keys ?? await kvKeys(kv, opts.filter);
  const got = await mapLimit(wanted, 32, async (key) => {
    const e = liveEntry(await kv.get(key));
    return e ? { key, value: e.value, revision: e.revision } : null;
  });
  return got.filter((v): v is KvValue => v !== null);
}

/**
 * Every live entry of a whole bucket in one pass, sorted by key: an ordered consumer on
 * the bucket's stream delivering the last message per subject (one round trip per batch
 * instead of one `get` per key; ~10× faster for thousands of PCs). `[]` when the bucket
 * does not exist, unless `required` (then `UnavailableError`).
 */
export async function kvSnapshot(
  nats: Nats,
  bucket: string,
  opts: { required?: boolean } = {},
): Promise<KvValue[]> {
  const stream = `KV_${bucket}`;
  let messages: number;
  try {
    messages = (await nats.jsm.streams.info(stream)).state.messages;
  } catch (e) {
    if (isBucketMissing(e) && !opts.required) return [];
    throw kvFailure(bucket, e);
  }
  if (messages === 0) return [];
  const prefix = `$KV.${bucket}.`;
  const byKey = new Map<string, KvValue>();
  try {
    const consumer = await nats.js.consumers.get(stream, {
      filter_subjects: `${prefix}>`,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    // Removed once read: nats.js leaves it to the broker's 5-minute inactivity threshold.
    using _ = { [Symbol.dispose]: () => void consumer.delete().catch(() => {}) };
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      let last = -1;
      let got = 0;
      for await (const m of batch) {
        got++;
        last = m.info.pending;
        const key = m.subject.slice(prefix.length);
        const op = m.headers?.get("KV-Operation");
        if (op === "DEL" || op === "PURGE") byKey.delete(key);
        else byKey.set(key, { key, value: m.data, revision: m.seq });
        if (last === 0) break;
      }
      if (last === 0 || got === 0) break;
    }
  } catch (e) {
    throw kvFailure(bucket, e);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---------------------------------------------------------------- compare-and-swap

/** Returned by a `kvSwap` value or a `casUpdate` mutation to remove the key. */
export const DELETE = Symbol("delete");

/**
 * One revision-checked write: `value` lands only if the key is still at `revision`
 * (`null`: absent, where a delete marker counts as absent). Returns the new revision
 * (0 for a delete), or null when another writer got there first.
 */
export async function kvSwap(
  kv: KV,
  key: string,
  value: Uint8Array | string | typeof DELETE,
  revision: number | null,
): Promise<number | null> {
  try {
    if (value === DELETE) {
      await kv.delete(key, revision === null ? undefined : { previousSeq: revision });
      return 0;
    }
    return revision === null ? await kv.create(key, value) : await kv.update(key, value, revision);
  } catch (e) {
    if (isRevisionConflict(e)) return null;
    throw e;
  }
}

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
  /** Give up (409) after this many conflicting writes (default 50). */
  maxAttempts?: number;
  /** What an undecodable stored value does: `throw` (default, 500) or `empty` (overwrite). */
  onCorrupt?: "throw" | "empty";
}

const td = new TextDecoder();

function undecodable(key: string, err: unknown) {
  return internal(`stored value of '${key}' is not decodable: ${(err as Error).message}`, err);
}

/** Read and decode a key; `null` when absent or deleted. Undecodable → InternalError. */
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
    throw undecodable(key, err);
  }
}

/**
 * Revision-checked read-modify-write on one key (lesson #505: a blind get→put loses
 * concurrent edits). Reads the entry, applies the pure `mutate`, and writes it with the
 * read revision as the expected last sequence; a conflicting writer makes the write fail
 * and the loop re-reads. A result whose encoded bytes equal the stored bytes writes
 * nothing, so a no-op never bumps the revision nor creates the key.
 */
export async function casUpdate<T>(
  kv: KV,
  key: string,
  codec: Codec<T>,
  mutate: (current: T, exists: boolean) => T | typeof DELETE,
  opts: CasOptions = {},
): Promise<CasResult<T>> {
  const once = async (attempt: number): Promise<CasResult<T>> => {
    const entry = liveEntry(await kv.get(key));
    let current: T;
    try {
      current = entry ? codec.decode(entry.value) : codec.empty();
    } catch (err) {
      if (opts.onCorrupt !== "empty") throw undecodable(key, err);
      current = codec.empty();
    }
    const next = mutate(current, entry !== null);
    const revision = entry?.revision ?? null;
    if (next === DELETE) {
      if (!entry) {
        return { value: codec.empty(), changed: false, revision: null, attempts: attempt };
      }
      if (await kvSwap(kv, key, DELETE, revision) !== null) {
        return { value: codec.empty(), changed: true, revision: null, attempts: attempt };
      }
    } else {
      const bytes = codec.encode(next);
      const stored = entry ? td.decode(entry.value) : codec.encode(codec.empty());
      if (bytes === stored) return { value: next, changed: false, revision, attempts: attempt };
      const rev = await kvSwap(kv, key, bytes, revision);
      if (rev !== null) return { value: next, changed: true, revision: rev, attempts: attempt };
    }
    throw LOST_RACE;
  };
  // Someone else wrote in between: a short jittered pause, then re-read and re-apply.
  try {
    return await retryWhile(once, {
      transient: (e) => e === LOST_RACE,
      maxAttempts: opts.maxAttempts ?? 50,
      firstPauseMs: 5,
      maxPauseMs: 50,
      jitter: true,
    });
  } catch (e) {
    if (e === LOST_RACE) throw conflict(`too many concurrent edits of '${key}', retry`);
    throw e;
  }
}

/** A compare-and-swap write that lost its race (internal to `casUpdate`'s retry). */
const LOST_RACE = new Error("revision moved on");

// ---------------------------------------------------------------- keys

/** KV keys allow `[-/_=.a-zA-Z0-9]`; a pc id or group must also be one subject token. */
const KV_TOKEN_RE = /^[-/_=a-zA-Z0-9]{1,256}$/;
export function isKvToken(value: string): boolean {
  return KV_TOKEN_RE.test(value);
}

// ---------------------------------------------------------------- follow

/*
 * Follow a whole KV bucket: its current values, then every change, handed to `apply` in
 * revision order, so a process can answer from memory what would otherwise be a walk of
 * the bucket per request. `catchUp()` makes a read consistent with every write committed
 * before it (one stream-info round trip, then a wait until the watch has delivered up to
 * that sequence), so an answer never misses a write made just before.
 *
 * A bucket that does not exist yet is looked for every second (it counts as empty
 * meanwhile). If the watch ends while the connection lives on (bucket deleted and
 * re-created), the state is reset and followed again from scratch.
 */
export interface BucketFollower {
  /** Resolves once the values present at start have been applied. */
  ready: Promise<void>;
  /** Wait (at most `timeoutMs`) until every write committed before the call is applied. */
  catchUp(timeoutMs?: number): Promise<void>;
  stop(): void;
}

export function followBucket(
  nats: Nats,
  bucket: string,
  handlers: { apply(e: KvEntry): void; reset(): void },
  log: Pick<Logger, "warn">,
): BucketFollower {
  let applied = 0;
  let stopped = false;
  let stopIter: (() => void) | null = null;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => markReady = r);
  const waiters = new Set<{ seq: number; wake: () => void }>();
  /** A stream sequence that never arrived (its message was removed): not waited for again. */
  let unreachable = 0;
  const stream = `KV_${bucket}`;

  const advance = (seq: number) => {
    applied = Math.max(applied, seq);
    for (const w of [...waiters]) if (w.seq <= applied) w.wake();
  };

  const run = async () => {
    let warned = false;
    while (!stopped && !nats.nc.isClosed()) {
      let info;
      try {
        info = await nats.jsm.streams.info(stream);
      } catch (e) {
        if (!isBucketMissing(e) && !warned) {
          log.warn("kv follow: bucket unreadable", { bucket, err: String(e) });
        }
        warned = true;
        markReady(); // a missing bucket reads as empty, as the list routes answer
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      try {
        const kv = await openKv(nats, bucket);
        const iter = await kv.watch({ key: ">" });
        stopIter = () => iter.stop();
        if (stopped) iter.stop();
        if (info.state.messages === 0) markReady();
        for await (const e of iter) {
          try {
            handlers.apply(e);
          } catch (err) {
            log.warn("kv follow: entry not applied", { bucket, key: e.key, err: String(err) });
          }
          if (!e.delta) markReady();
          advance(e.revision);
        }
      } catch (e) {
        if (!stopped && !nats.nc.isClosed()) {
          log.warn("kv follow: watch failed", { bucket, err: String(e) });
        }
      }
      if (stopped || nats.nc.isClosed()) break;
      // The watch ended under a live connection: start over from the bucket's current state.
      handlers.reset();
      applied = 0;
      await new Promise((r) => setTimeout(r, 1000));
    }
    markReady();
    for (const w of waiters) w.wake();
  };
  run();

  return {
    ready,
    async catchUp(timeoutMs = 2000) {
      await ready;
      if (stopped || nats.nc.isClosed()) return;
      let target = 0;
      try {
        const info = await nats.jsm.streams.info(stream);
        if (info.state.messages > 0) target = info.state.last_seq;
      } catch {
        return; // missing or unreachable: answer from what is known
      }
      if (target <= applied || target === unreachable) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let waiter!: { seq: number; wake: () => void };
      const reached = new Promise<boolean>((resolve) => {
        waiter = { seq: target, wake: () => resolve(true) };
        waiters.add(waiter);
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const ok = await reached;
      clearTimeout(timer);
      waiters.delete(waiter);
      if (!ok) unreachable = target;
    },
    stop() {
      stopped = true;
      stopIter?.();
      markReady();
    },
  };
}
