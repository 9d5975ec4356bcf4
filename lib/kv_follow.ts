/**
 * Follow a whole KV bucket: its current values, then every change, handed to `apply` in
 * revision order, so a process can answer from memory what would otherwise be a walk of
 * the bucket per request. `catchUp()` makes a read consistent with every write committed
 * before it (one stream-info round trip, then a wait until the watch has delivered up to
 * that sequence), so an API answer never misses a membership written just before.
 *
 * A bucket that does not exist yet is looked for every second (it counts as empty
 * meanwhile). If the watch ends while the connection lives on (bucket deleted and
 * re-created), the state is reset and followed again from scratch.
 */
import type { KvEntry } from "@nats-io/kv";
import type { Nats } from "./nats.ts";
import { isNotFound } from "./nats.ts";
import type { Logger } from "./log.ts";

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
        if (!isNotFound(e) && !warned) {
          log.warn("kv follow: bucket unreadable", { bucket, err: String(e) });
        }
        warned = true;
        markReady(); // a missing bucket reads as empty, as the list routes answer
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      try {
        const kv = await nats.kv(bucket);
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
