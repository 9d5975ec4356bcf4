/** Watch a whole KV bucket for the simulated agents (groups, config). */
import type { KvEntry } from "@nats-io/kv";
import type { Link } from "./link.ts";
import { sleep } from "./util.ts";

export interface BucketWatch {
  stop(): void;
  /** Resolves once the current values have been applied (or after 10 s of watching). */
  ready: Promise<void>;
  /** Ends when the watch ends (stop or connection closed). */
  done: Promise<void>;
}

/**
 * Watch every key of `bucket`. A bucket that does not exist yet (the backend has not run its
 * bootstrap) is looked for again every second, and watched from the moment it appears.
 */
export function watchBucket(
  link: Link,
  bucket: string,
  apply: (e: KvEntry) => void,
  opts: { stopped: () => boolean; log: (msg: string) => void },
): BucketWatch {
  let stopIter: (() => void) | null = null;
  let stopped = false;
  let ready!: () => void;
  const readyP = new Promise<void>((r) => ready = r);
  const done = (async () => {
    let warned = false;
    while (!stopped && !opts.stopped()) {
      const kv = await link.kv(bucket);
      if (kv) {
        const info = await link.nats.jsm.streams.info(`KV_${bucket}`).catch(() => null);
        if ((info?.state.messages ?? 0) === 0) ready();
        const iter = await kv.watch({ key: ">" });
        stopIter = () => iter.stop();
        if (stopped) iter.stop();
        const t = setTimeout(() => ready(), 10_000);
        for await (const e of iter) {
          try {
            apply(e);
          } catch (err) {
            opts.log(`watch ${bucket}/${e.key}: ${(err as Error).message}`);
          }
          if (!e.delta) ready();
        }
        clearTimeout(t);
        return;
      }
      if (!warned) opts.log(`bucket ${bucket} missing; watching it once it exists`);
      warned = true;
      await sleep(1000);
    }
  })().catch(() => {}).finally(() => ready());
  return {
    stop() {
      stopped = true;
      stopIter?.();
    },
    ready: readyP,
    done,
  };
}
