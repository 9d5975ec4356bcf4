/**
 * Streaming I/O on a NATS object store, in the store's own format (chunks on
 * `$O.<bucket>.C.<nuid>`, one rolled-up meta on `$O.<bucket>.M.<base64url(key)>`), so
 * agents and other clients read what is written here. Written for GiB objects:
 *
 *  - `stageObject` publishes chunks as the body arrives, a few acks in flight, and commits
 *    nothing: the caller decides after the whole request was read (`commitObject`), or
 *    `purgeChunks` drops them. A failed or abandoned upload leaves no object.
 *  - `commitObject` swaps the meta in one rolled-up publish: a reader gets the old or the
 *    new object. The old chunks are purged once this process's readers of them are done
 *    (`retireChunks`), so a download in flight here finishes with the old bytes.
 *  - `openChunkStream` reads with backpressure (a pull consumer read only as fast as the
 *    response is written), from the chunk holding a byte offset, verifying the digest of
 *    a full read; a pull the broker lost is found and made again (lib/pull_reader.ts).
 *
 * One file of ~400 lines on purpose: the writer and the reader share the store's format
 * (chunk subjects, the rolled-up meta, the digest), which must not drift between modules.
 */
import { createHash } from "node:crypto";
import { AckPolicy, DeliverPolicy, JsHeaders, type MsgRequest } from "@nats-io/jetstream";
import { headers as natsHeaders, nuid } from "@nats-io/transport-node";
import type { ObjectInfo } from "@nats-io/obj";
import type { Nats } from "../nats.ts";
import { log } from "../log.ts";
import { PullReader } from "../pull_reader.ts";
import { TIMEOUT, within } from "../within.ts";

export const CHUNK_SIZE = 128 * 1024;
/**
 * Chunk publishes awaiting their ack at once (memory: this many chunks, 2 MiB): enough to
 * hide the ack round trip of a busy broker, small enough to stay bounded.
 */
const IN_FLIGHT = 16;

export const objStream = (bucket: string) => `OBJ_${bucket}`;
export const chunkSubject = (bucket: string, id: string) => `$O.${bucket}.C.${id}`;

/** Base64url with padding of the key's bytes, as every NATS object-store client names metas. */
export function metaSubject(bucket: string, key: string): string {
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(key)));
  return `$O.${bucket}.M.${b64.replace(/\+/g, "-").replace(/\//g, "_")}`;
}

export interface Staged {
  nuid: string;
  size: number;
  chunks: number;
  /** `SHA-256=<base64url>`, the store's digest form. */
  digest: string;
  chunkSize: number;
}

/** `SHA-256=` + padded base64url: the digest form of the store (32 bytes → one `=`). */
function storeDigest(hash: ReturnType<typeof createHash>): string {
  return `SHA-256=${hash.digest("base64url")}=`;
}

export class UploadStalledError extends Error {
  constructor(ms: number) {
    super(`upload stalled: no data for ${Math.round(ms / 1000)} s`);
    this.name = "UploadStalledError";
  }
}

async function readWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  const got = await within(p, ms);
  if (got === TIMEOUT) throw new UploadStalledError(ms);
  return got;
}

/** Drops every chunk published under `id` (an aborted upload, retired bytes). */
export async function purgeChunks(nats: Nats, bucket: string, id: string): Promise<void> {
  await nats.jsm.streams.purge(objStream(bucket), { filter: chunkSubject(bucket, id) });
}

/**
 * Publishes `source` as chunks under a fresh nuid. On any failure (the client went away,
 * a stall longer than `idleMs`, the broker) the chunks already out are purged and the
 * error is rethrown.
 */
export async function stageObject(
  nats: Nats,
  bucket: string,
  source: ReadableStream<Uint8Array>,
  opts: { idleMs?: number; chunkSize?: number } = {},
): Promise<Staged> {
  const chunkSize = opts.chunkSize ?? CHUNK_SIZE;
  const idleMs = opts.idleMs ?? 120_000;
  const id = nuid.next();
  const subject = chunkSubject(bucket, id);
  const hash = createHash("sha256");
  const reader = source.getReader();
  const pending: Promise<unknown>[] = [];
  let size = 0;
  let chunks = 0;
  let buf = new Uint8Array(chunkSize);
  let fill = 0;
  const flush = async (data: Uint8Array) => {
    hash.update(data);
    size += data.byteLength;
    chunks++;
    pending.push(nats.js.publish(subject, data));
    if (pending.length >= IN_FLIGHT) await pending.shift();
  };
  try {
    while (true) {
      const { done, value } = await readWithin(reader.read(), idleMs);
      if (done) break;
      let off = 0;
      while (off < value.byteLength) {
        const n = Math.min(chunkSize - fill, value.byteLength - off);
        buf.set(value.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === chunkSize) {
          await flush(buf);
          buf = new Uint8Array(chunkSize); // the published one may still be in flight
          fill = 0;
        }
      }
    }
    if (fill > 0) await flush(buf.subarray(0, fill));
    await Promise.all(pending);
  } catch (e) {
    await Promise.allSettled(pending);
    await reader.cancel(e).catch(() => {});
    await purgeChunks(nats, bucket, id).catch((pe) =>
      log.warn("purging an aborted upload failed", { bucket, nuid: id, err: pe })
    );
    throw e;
  }
  return { nuid: id, size, chunks, digest: storeDigest(hash), chunkSize };
}

/** The meta JSON every object-store client writes and reads. */
function metaBody(bucket: string, key: string, s: Staged, deleted = false) {
  return {
    name: key,
    description: "",
    options: { max_chunk_size: s.chunkSize },
    bucket,
    nuid: s.nuid,
    size: deleted ? 0 : s.size,
    chunks: deleted ? 0 : s.chunks,
    mtime: new Date().toISOString(),
    digest: deleted ? "" : s.digest,
    deleted,
  };
}

async function publishMeta(nats: Nats, bucket: string, key: string, body: unknown) {
  const h = natsHeaders();
  h.set(JsHeaders.RollupHdr, JsHeaders.RollupValueSubject);
  return await nats.js.publish(metaSubject(bucket, key), JSON.stringify(body), { headers: h });
}

/**
 * Makes the staged chunks the object `key` (one rolled-up meta publish: readers see the
 * old or the new object) and retires the chunks of the object it replaced.
 */
export async function commitObject(
  nats: Nats,
  bucket: string,
  key: string,
  staged: Staged,
  previous: ObjectInfo | null,
): Promise<{ mtime: string }> {
  const body = metaBody(bucket, key, staged);
  await publishMeta(nats, bucket, key, body);
  if (previous && !previous.deleted && previous.nuid !== staged.nuid) {
    retireChunks(nats, bucket, previous.nuid);
  }
  return { mtime: body.mtime };
}

/** Marks `key` deleted (readers stop finding it at once) and retires its chunks. */
export async function deleteObject(nats: Nats, bucket: string, info: ObjectInfo): Promise<void> {
  const staged: Staged = {
    nuid: info.nuid,
    size: 0,
    chunks: 0,
    digest: "",
    chunkSize: info.options?.max_chunk_size ?? CHUNK_SIZE,
  };
  await publishMeta(nats, bucket, info.name, metaBody(bucket, info.name, staged, true));
  retireChunks(nats, bucket, info.nuid);
}

// ---- readers and retirement ---------------------------------------------------------

/** Open downloads in this process, per chunk set: their chunks outlive a replace. */
const readers = new Map<string, number>();
const retiring = new Set<Promise<void>>();
/** Longest a retired chunk set waits for this process's downloads of it. */
export const RETIRE_MAX_WAIT_MS = 3_600_000;

function retireChunks(nats: Nats, bucket: string, id: string): void {
  const job = (async () => {
    const until = Date.now() + RETIRE_MAX_WAIT_MS;
    while ((readers.get(id) ?? 0) > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await purgeChunks(nats, bucket, id);
  })().catch((e) => log.warn("purging replaced object chunks failed", { bucket, nuid: id, err: e }))
    .finally(() => retiring.delete(job));
  retiring.add(job);
}

/** Resolves once every pending retirement has purged (tests, shutdown). */
export async function retirementsSettled(): Promise<void> {
  while (retiring.size) await Promise.allSettled([...retiring]);
}

/**
 * Chunk sets no meta names any more and nobody here still reads: an upload whose process
 * died before its commit or its purge, or replaced bytes whose purge was lost. A set counts
 * as orphaned once its newest chunk is older than `graceMs` (longer than an upload may
 * stall), so uploads in progress are never touched. Returns the purged nuids.
 */
export async function purgeOrphanChunks(
  nats: Nats,
  bucket: string,
  live: ReadonlySet<string>,
  nowMs: number,
  graceMs: number,
): Promise<string[]> {
  const stream = objStream(bucket);
  const prefix = `$O.${bucket}.C.`;
  const si = await nats.jsm.streams.info(stream, { subjects_filter: `${prefix}>` });
  const purged: string[] = [];
  for (const subject of Object.keys(si.state.subjects ?? {})) {
    const id = subject.slice(prefix.length);
    if (live.has(id) || (readers.get(id) ?? 0) > 0) continue;
    const last = await nats.jsm.streams.getMessage(stream, { last_by_subj: subject });
    if (!last || nowMs - last.time.getTime() < graceMs) continue;
    await purgeChunks(nats, bucket, id);
    purged.push(id);
  }
  return purged;
}

// ---- finding a chunk by index (Range requests) -------------------------------------

/**
 * Smallest stream sequence `s` in [lo, hi] before which exactly `k` chunks lie, given
 * `before(s)` = chunks of the object with a sequence < s (non-decreasing in s, +1 per
 * chunk). `guess` is tried first (chunks written back to back: first chunk seq + k).
 */
export async function seekChunkSeq(
  k: number,
  lo: number,
  hi: number,
  before: (s: number) => Promise<number>,
  guess?: number,
): Promise<number> {
  if (k === 0) return lo;
  if (guess !== undefined && guess > lo && guess <= hi && await before(guess) === k) {
    if (await before(guess - 1) < k) return guess;
  }
  let a = lo, b = hi; // invariant: before(a) < k <= before(b)
  while (b - a > 1) {
    const mid = a + Math.floor((b - a) / 2);
    if (await before(mid) >= k) b = mid;
    else a = mid;
  }
  return b;
}

async function tempConsumer(nats: Nats, stream: string, subject: string, startSeq?: number) {
  return await nats.jsm.consumers.add(stream, {
    filter_subject: subject,
    ack_policy: AckPolicy.None,
    ...(startSeq
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }
      : { deliver_policy: DeliverPolicy.All }),
    inactive_threshold: 60_000_000_000,
    mem_storage: true,
  });
}

/** Stream sequence where reading chunk `k` of `info` starts. */
async function startSeqOf(nats: Nats, bucket: string, info: ObjectInfo, k: number) {
  const stream = objStream(bucket);
  const subject = chunkSubject(bucket, info.nuid);
  if (k === 0) return undefined;
  const before = async (s: number) => {
    const ci = await tempConsumer(nats, stream, subject, s);
    await nats.jsm.consumers.delete(stream, ci.name).catch(() => {});
    return info.chunks - ci.num_pending;
  };
  const si = await nats.jsm.streams.info(stream);
  // The object's first chunk: one request, not a pull (a pull the broker loses would fail
  // the download; lib/lost_pull.ts). STREAM.MSG.GET takes `next_by_subj` (nats-server 2.9+);
  // nats.js types only the other queries.
  const query = { seq: si.state.first_seq, next_by_subj: subject } as unknown as MsgRequest;
  const m = await nats.jsm.streams.getMessage(stream, query);
  const firstSeq = m?.seq ?? si.state.first_seq;
  return await seekChunkSeq(k, firstSeq, si.state.last_seq + 1, before, firstSeq + k);
}

export class ObjectChangedError extends Error {
  constructor(what: string) {
    super(`object changed while it was read: ${what}`);
    this.name = "ObjectChangedError";
  }
}

/**
 * Bytes `start..end` (inclusive) of the object `info` describes, read with backpressure.
 * A full read is checked against the digest; a replaced-and-purged object or a stall
 * errors the stream (the client sees a short body, never other bytes).
 */
export async function openChunkStream(
  nats: Nats,
  bucket: string,
  info: ObjectInfo,
  range: { start: number; end: number },
  opts: { stallMs?: number; checkMs?: number } = {},
): Promise<ReadableStream<Uint8Array>> {
  const stallMs = opts.stallMs ?? 15_000;
  const chunkSize = info.options?.max_chunk_size ?? CHUNK_SIZE;
  const full = range.start === 0 && range.end === info.size - 1;
  const stream = objStream(bucket);
  const id = info.nuid;
  readers.set(id, (readers.get(id) ?? 0) + 1);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const n = (readers.get(id) ?? 1) - 1;
    if (n > 0) readers.set(id, n);
    else readers.delete(id);
  };
  if (info.size === 0) {
    release();
    return new ReadableStream({ start: (c) => c.close() });
  }
  let reader: PullReader | null = null;
  let consumerName = "";
  const close = async () => {
    release();
    await reader?.close();
    if (consumerName) await nats.jsm.consumers.delete(stream, consumerName).catch(() => {});
  };
  try {
    const k = Math.floor(range.start / chunkSize);
    const startSeq = await startSeqOf(nats, bucket, info, k);
    const ci = await tempConsumer(nats, stream, chunkSubject(bucket, id), startSeq);
    consumerName = ci.name;
    const consumer = await nats.js.consumers.get(stream, ci.name);
    reader = await PullReader.open(consumer, {
      maxMessages: 8,
      stallMs,
      checkMs: opts.checkMs,
      onLost: (n) =>
        log.warn("package download's pull was lost by the broker; pulling again", {
          bucket,
          num_pending: n,
        }),
    });
    const hash = full ? createHash("sha256") : null;
    let offset = k * chunkSize; // object offset of the next chunk's first byte
    let read = 0;
    return new ReadableStream<Uint8Array>({
      async pull(ctl) {
        try {
          const next = await reader!.next();
          if (!next) throw new ObjectChangedError(`no chunk after ${read} bytes`);
          const data = next.data;
          hash?.update(data);
          const from = Math.max(0, range.start - offset);
          const to = Math.min(data.byteLength, range.end + 1 - offset);
          offset += data.byteLength;
          if (to > from) {
            ctl.enqueue(data.subarray(from, to));
            read += to - from;
          }
          if (offset > range.end) {
            if (hash && storeDigest(hash) !== info.digest) {
              throw new ObjectChangedError("digest mismatch");
            }
            ctl.close();
            await close();
          }
        } catch (e) {
          ctl.error(e);
          await close();
        }
      },
      async cancel() {
        await close();
      },
    }, { highWaterMark: 0 });
  } catch (e) {
    await close();
    throw e;
  }
}
