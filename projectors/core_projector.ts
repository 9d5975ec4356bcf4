/**
 * The engine of the core-NATS projectors (heartbeat, host_perf, process_perf): lossy by
 * design (no stream, no ack), so they micro-batch — a window of about a second or 1000
 * messages is written in one transaction. A bad payload is logged and dropped. A busy
 * database keeps the window and retries with backoff (up to BUSY_RETRY_MS); any other
 * failed write drops the window (the next heartbeat repairs it).
 *
 * In `shared` projection mode every backend process subscribes in one queue group, so a
 * message is written once, not once per process; `local` mode keeps a full copy per node.
 */
import type { Transaction } from "@libsql/client";
import type { Deps } from "../lib/deps.ts";
import { inWriteTx } from "../db/client.ts";
import { isTransientDbError } from "../db/remote.ts";
import { retryWhile } from "../util/retry.ts";
import { Batcher } from "./batch.ts";
import type { RunningProjector } from "./jetstream_projector.ts";
import { type ChangeNotice, publishChanges } from "../lib/change_feed.ts";

export interface CoreProjectorSpec<T> {
  name: string;
  subject: string;
  decode(data: Uint8Array, subject: string): T;
  apply(tx: Transaction, items: T[]): Promise<ChangeNotice[]>;
}

/** The `apply` of a projection no live view follows: it writes the batch, announces nothing. */
export function silentApply<T>(
  write: (tx: Transaction, items: T[]) => Promise<void>,
): CoreProjectorSpec<T>["apply"] {
  return async (tx, items) => {
    await write(tx, items);
    return [];
  };
}

/** How long a window is retried while the database stays busy before it is dropped. */
export const BUSY_RETRY_MS = 30_000;

export function startCoreProjector<T>(
  deps: Deps,
  spec: CoreProjectorSpec<T>,
  opts: { maxItems?: number; maxWaitMs?: number; busyRetryMs?: number } = {},
): RunningProjector {
  let stopping = false;
  const log = deps.log.child({ projector: spec.name, subject: spec.subject });
  const stats = { applied: 0, rejected: 0, naks: 0, batches: 0, busySince: 0 };
  const batcher = new Batcher<T>({
    maxItems: opts.maxItems ?? 1000,
    maxWaitMs: opts.maxWaitMs ?? 1000,
    flush: async (items) => {
      stats.batches++;
      stats.busySince = Date.now();
      const write = () => inWriteTx(deps.db, (tx) => spec.apply(tx, items));
      try {
        const notices = await retryWhile(write, {
          transient: (e) => isTransientDbError(e) && !stopping,
          until: Date.now() + (opts.busyRetryMs ?? BUSY_RETRY_MS),
          firstPauseMs: 100,
          maxPauseMs: 2_000,
          onRetry: () => stats.naks++,
        });
        stats.applied += items.length;
        publishChanges(deps, notices);
      } catch (e) {
        log.warn("window dropped: write failed", { size: items.length, err: e });
      } finally {
        stats.busySince = 0;
      }
    },
  });
  const sub = deps.nats.nc.subscribe(
    spec.subject,
    deps.config.projectionMode === "shared" ? { queue: `kanade_projector_${spec.name}` } : {},
  );
  const loop = (async () => {
    for await (const m of sub) {
      let v: T;
      try {
        v = spec.decode(m.data, m.subject);
      } catch (e) {
        stats.rejected++;
        log.warn("undecodable message dropped", { subject: m.subject, err: e });
        continue;
      }
      await batcher.add(v).catch(() => {});
    }
  })();
  return {
    name: `projector:${spec.name}`,
    stats,
    async stop() {
      stopping = true;
      sub.unsubscribe();
      await loop.catch(() => {});
      await batcher.close();
    },
  };
}
