/**
 * The engine of the core-NATS projectors (heartbeat, host_perf, process_perf): lossy by
 * design (no stream, no ack), so they micro-batch — a window of about a second or 1000
 * messages is written in one transaction. A bad payload is logged and dropped; a failed
 * write drops the window (the next heartbeat repairs it).
 */
import type { Transaction } from "@libsql/client";
import type { Deps } from "../lib/deps.ts";
import { Batcher } from "./batch.ts";
import { type ChangeNotice, publishChanges, type RunningProjector } from "./jetstream_projector.ts";

export interface CoreProjectorSpec<T> {
  name: string;
  subject: string;
  decode(data: Uint8Array, subject: string): T;
  apply(tx: Transaction, items: T[]): Promise<ChangeNotice[]>;
}

export function startCoreProjector<T>(
  deps: Deps,
  spec: CoreProjectorSpec<T>,
  opts: { maxItems?: number; maxWaitMs?: number } = {},
): RunningProjector {
  const log = deps.log.child({ projector: spec.name, subject: spec.subject });
  const stats = { applied: 0, rejected: 0, naks: 0, batches: 0 };
  const batcher = new Batcher<T>({
    maxItems: opts.maxItems ?? 1000,
    maxWaitMs: opts.maxWaitMs ?? 1000,
    flush: async (items) => {
      stats.batches++;
      const tx = await deps.db.transaction("write");
      try {
        const notices = await spec.apply(tx, items);
        await tx.commit();
        stats.applied += items.length;
        publishChanges(deps, notices);
      } catch (e) {
        await tx.rollback().catch(() => {});
        log.warn("window dropped: write failed", { size: items.length, err: e });
      } finally {
        tx.close();
      }
    },
  });
  const sub = deps.nats.nc.subscribe(spec.subject);
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
      sub.unsubscribe();
      await loop.catch(() => {});
      await batcher.close();
    },
  };
}
