/** Watch a whole KV bucket for the simulated agents (groups, config). */
import { jetstreamManager } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import type { Link } from "./link.ts";
import { sleep } from "./util.ts";

export interface BucketWatch {
  stop(): void;
  /** Ends when the watch ends (stop or connection closed). */
  done: Promise<void>;
}

/**
 * Watch every key of `bucket`; resolves once the current values have been applied (or after
 * 10 s), with null when the bucket did not appear within 5 s.
 */
export async function watchBucket(
  link: Link,
  bucket: string,
  apply: (e: KvEntry) => void,
  opts: { stopped: () => boolean; log: (msg: string) => void },
): Promise<BucketWatch | null> {
  let kv: KV | null = null;
  for (let i = 0; i < 50 && !kv && !opts.stopped(); i++) {
    kv = await link.kv(bucket);
    if (!kv) await sleep(100);
  }
  if (!kv) {
    opts.log(`bucket ${bucket} missing; not watched`);
    return null;
  }
  const jsm = await jetstreamManager(link.nc, { timeout: 5000 });
  const info = await jsm.streams.info(`KV_${bucket}`).catch(() => null);
  const hasValues = (info?.state.messages ?? 0) > 0;
  const iter = await kv.watch({ key: ">" });
  let ready!: () => void;
  const initial = new Promise<void>((r) => ready = r);
  if (!hasValues) ready();
  const t = setTimeout(() => ready(), 10_000);
  const done = (async () => {
    for await (const e of iter) {
      try {
        apply(e);
      } catch (err) {
        opts.log(`watch ${bucket}/${e.key}: ${(err as Error).message}`);
      }
      if (!e.delta) ready();
    }
  })().catch(() => {});
  await initial;
  clearTimeout(t);
  return { stop: () => iter.stop(), done };
}
