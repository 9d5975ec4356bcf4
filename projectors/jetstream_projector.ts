/**
 * The shared engine of every JetStream projector: a durable pull consumer read in
 * batches, one write transaction per batch, ack only after commit.
 *  - transient DB error (busy/locked) → nak with a delay, JetStream redelivers;
 *  - other DB error on a batch → retry its messages one per transaction, so one bad row
 *    cannot hold back the good ones; a single message that keeps failing is set aside
 *    after `MAX_DELIVERIES` (never a poison loop);
 *  - undecodable message → logged with its stream sequence, recorded in
 *    `projection_rejects` (same transaction) and terminated.
 * After each committed batch a small change notice goes to `kanade.changes.<kind>`.
 */
import type { Transaction } from "@libsql/client";
import type { Deps } from "../lib/deps.ts";
import { inWriteTx } from "../db/client.ts";
import { isTransientDbError } from "../db/remote.ts";
import type { Component } from "../lib/component.ts";
import { Batcher } from "./batch.ts";
import { SettleQueue } from "./settle_queue.ts";
import { pause, withTimeout } from "../util/retry.ts";
import { ackMeta } from "./js_envelope.ts";
import { ensureConsumer } from "./js_consumer.ts";
import { JsPull, type StreamMsg } from "./js_pull.ts";
import { type RejectRow, rejectRow, rejectStmt } from "./rejects.ts";
import { type ChangeNotice, publishChanges } from "../lib/change_feed.ts";

export { type ChangeNotice, noticeIds, publishChanges } from "../lib/change_feed.ts";
export type { RejectRow } from "./rejects.ts";

/** A decoded message with what the projection needs from its envelope. */
export interface Item<T> {
  msg: StreamMsg;
  value: T;
  seq: number;
  /** The JetStream publish time as canonical DB text (replays reproduce it). */
  recordedAt: string;
}

export interface JsProjectorSpec<T> {
  name: string;
  stream: string;
  durable: string;
  filter?: string;
  /** Throws when the payload can never be projected (poison). */
  decode(data: Uint8Array, subject: string): T;
  /**
   * Optional: told of each decoded message as it arrives, to start I/O that `prepare` will
   * wait for while earlier batches are still being written (a throw is logged, not fatal).
   */
  arrived?(item: Item<T>): void;
  /**
   * Optional: the I/O that `prepare` would wait for on this item and that is still running
   * (undefined: none, or done). Such an item leaves its batch, which goes on without it,
   * and joins a later batch once this settles, its message kept in progress meanwhile. Why:
   * one overflow object read while the broker stores a fleet-wide burst took 10.5 s and
   * held its 9,054-result batch, and every result behind it, that long.
   */
  pending?(item: Item<T>): Promise<unknown> | undefined;
  /** Optional I/O before the transaction (e.g. fetching overflow objects). */
  prepare?(items: Item<T>[]): Promise<Item<T>[] | void>;
  /** Writes the batch inside `tx`; returns the change notices to publish after commit. */
  apply(tx: Transaction, items: Item<T>[]): Promise<ChangeNotice[]>;
  /**
   * Optional replacement of the engine's own transaction: writes `items` and the rejects
   * in ONE transaction elsewhere (the results projector's writer thread) and resolves
   * after its commit. Errors must keep the DB's message (busy detection).
   */
  commitBatch?(items: Item<T>[], rejects: RejectRow[]): Promise<ChangeNotice[]>;
  /** Largest batch when the options do not say (default 1000). */
  batchSize?: number;
  /**
   * Batches in flight at once (default 1): 2 lets a full batch be prepared while the one
   * before it commits (batch.ts), for a spec whose `commitBatch` keeps commits apart.
   */
  overlap?: number;
  /** Releases what the spec holds (e.g. its writer thread) after the last batch. */
  close?(): Promise<void>;
}

export interface JsProjectorOptions {
  batchSize?: number;
  maxWaitMs?: number;
  ackWaitMs?: number;
  /** Redelivery delay after a transient failure. */
  nakDelayMs?: number;
  /** A batch in flight this long is logged as holding the projector (default: the ack wait). */
  stuckWarnMs?: number;
  /** Waiting this long for messages, ask whether the pull was lost (js_pull.ts). */
  lostPullCheckMs?: number;
  /** Bytes asked of the broker and not yet taken, at most (js_pull.ts). */
  pullBytes?: number;
}

export const MAX_DELIVERIES = 5;
/** A durable's ack wait unless KANADE_PROJECTOR_ACK_WAIT_SECS says otherwise. */
export const DEFAULT_ACK_WAIT_MS = 30_000;

export interface ProjectorStats {
  applied: number;
  rejected: number;
  naks: number;
  batches: number;
  /** When the batch being written started (epoch ms); 0 while idle. */
  busySince: number;
}

export interface RunningProjector extends Component {
  stats: ProjectorStats;
}

export function startJsProjector<T>(
  deps: Deps,
  spec: JsProjectorSpec<T>,
  opts: JsProjectorOptions = {},
): RunningProjector {
  const log = deps.log.child({ projector: spec.name, stream: spec.stream, durable: spec.durable });
  const batchSize = opts.batchSize ?? spec.batchSize ?? 1000;
  const ackWaitMs = opts.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  const nakDelayMs = opts.nakDelayMs ?? 1_000;
  const stuckWarnMs = opts.stuckWarnMs ?? ackWaitMs;
  const stats: ProjectorStats = { applied: 0, rejected: 0, naks: 0, batches: 0, busySince: 0 };
  let stopped = false;
  let current: JsPull | null = null;
  /** Acks of committed batches still to send (see flush); stop() waits for them. */
  const acks = new SettleQueue();

  type Poison = { msg: StreamMsg; reason: string };
  /** A message as the batcher holds it: decoded on arrival, or set aside as poison. */
  type Entry = { item: Item<T>; poison?: undefined } | { item?: undefined; poison: Poison };

  async function commit(good: Item<T>[], poison: Poison[]): Promise<ChangeNotice[]> {
    if (spec.commitBatch) {
      return await spec.commitBatch(
        good,
        poison.map((p) => rejectRow(spec.stream, p.msg, p.reason)),
      );
    }
    return await inWriteTx(deps.db, async (tx) => {
      const notices = good.length ? await spec.apply(tx, good) : [];
      if (poison.length) {
        await tx.batch(poison.map((p) => rejectStmt(rejectRow(spec.stream, p.msg, p.reason))));
      }
      return notices;
    });
  }

  function settle(good: Item<T>[], poison: Poison[], notices: ChangeNotice[]) {
    for (const it of good) it.msg.ack();
    // No reason text: nats-server 2.9 does not understand "+TERM <reason>".
    for (const p of poison) p.msg.term();
    stats.applied += good.length;
    stats.rejected += poison.length;
    publishChanges(deps, notices);
  }

  /** Decoding happens as messages arrive, so it overlaps a commit running elsewhere. */
  function decodeEntry(msg: StreamMsg): Entry {
    let item: Item<T>;
    try {
      const value = spec.decode(msg.data, msg.subject);
      const { seq, recordedAt } = ackMeta(msg);
      item = { msg, value, seq, recordedAt };
    } catch (e) {
      const reason = `undecodable: ${(e as Error).message ?? e}`;
      log.warn("poison message set aside", { seq: msg.seq, subject: msg.subject, reason });
      return { poison: { msg, reason } };
    }
    try {
      spec.arrived?.(item);
    } catch (e) {
      // Only an early start of what `prepare` would do anyway: the message goes on.
      log.warn("arrived hook failed", { seq: item.seq, err: e });
    }
    return { item };
  }

  /** Timers keeping deferred messages in progress (cleared when they rejoin, or at stop). */
  const deferred = new Set<ReturnType<typeof setInterval>>();

  /** `it` rejoins the batches once `ready` settles (see JsProjectorSpec.pending). */
  function defer(it: Item<T>, ready: Promise<unknown>): void {
    const keep = setInterval(() => it.msg.working(), Math.max(1_000, ackWaitMs / 3));
    deferred.add(keep);
    const rejoin = () => {
      clearInterval(keep);
      if (!deferred.delete(keep) || stopped) return; // unacked: redelivered after a restart
      batcher.add({ item: it }).catch(() => {});
    };
    ready.then(rejoin, rejoin);
  }

  async function flush(entries: Entry[]): Promise<void> {
    let good: Item<T>[] = [];
    const poison: Poison[] = [];
    for (const e of entries) {
      const ready = e.item && spec.pending?.(e.item);
      if (ready) defer(e.item!, ready);
      else if (e.item) good.push(e.item);
      else poison.push(e.poison);
    }
    if (!good.length && !poison.length) return; // all deferred: not a batch
    stats.batches++;
    const t0 = performance.now();
    try {
      // What `prepare` could not complete yet (a broker too busy to hand out an overflow
      // object) is redelivered alone; the rest of the batch goes on.
      const later = spec.prepare && good.length ? await spec.prepare(good) : undefined;
      const t1 = performance.now();
      if (later?.length) {
        const wait = new Set(later);
        for (const it of later) it.msg.nak(nakDelayMs);
        stats.naks += later.length;
        good = good.filter((it) => !wait.has(it));
      }
      const notices = await commit(good, poison);
      // Where a burst's time goes, batch by batch (KANADE_LOG_LEVEL=debug).
      log.debug("batch committed", {
        size: good.length,
        poison: poison.length,
        later: later?.length ?? 0,
        prepare_ms: Math.round(t1 - t0),
        commit_ms: Math.round(performance.now() - t1),
      });
      // Acked on the next macrotask: the batcher first hands the next batch to the writer
      // (its start runs on microtasks), so a writer thread commits while these acks go out
      // instead of waiting for them. An ack still only ever follows its commit.
      acks.later(() => settle(good, poison, notices));
      return;
    } catch (e) {
      if (isTransientDbError(e)) {
        log.warn("database busy or unreachable, batch will be redelivered", {
          size: entries.length,
          err: e,
        });
        for (const x of entries) (x.item?.msg ?? x.poison!.msg).nak(nakDelayMs);
        stats.naks += entries.length;
        return;
      }
      log.error("batch failed, retrying message by message", { size: entries.length, err: e });
    }
    // Isolate the failure: each message in its own transaction.
    for (const p of poison) {
      try {
        settle([], [p], await commit([], [p]));
      } catch {
        p.msg.nak(nakDelayMs);
      }
    }
    for (const it of good) {
      try {
        settle([it], [], await commit([it], []));
      } catch (e) {
        const deliveries = it.msg.info.deliveryCount;
        if (!isTransientDbError(e) && deliveries >= MAX_DELIVERIES) {
          const reason = `projection failed ${deliveries} times: ${(e as Error).message ?? e}`;
          log.error("message set aside after repeated failures", { seq: it.seq, reason });
          try {
            settle([], [{ msg: it.msg, reason }], await commit([], [{ msg: it.msg, reason }]));
            continue;
          } catch { /* fall through to nak */ }
        }
        it.msg.nak(nakDelayMs);
        stats.naks++;
      }
    }
  }

  /** When each batch in flight started (stats.busySince is the oldest's). */
  const busy: number[] = [];
  const batcher = new Batcher<Entry>({
    maxItems: batchSize,
    maxWaitMs: opts.maxWaitMs ?? 5,
    overlap: spec.overlap,
    flush: async (entries) => {
      const started = Date.now();
      busy.push(started);
      stats.busySince = busy[0];
      // Nothing behind a batch moves while it is in flight: say so once it outlives its
      // messages' ack wait (a read or a commit that never ends would otherwise be silent).
      const stuck = setTimeout(
        () =>
          log.error("batch still in flight past the ack wait; the projector is held", {
            size: entries.length,
            seconds: Math.round((Date.now() - started) / 1000),
          }),
        stuckWarnMs,
      );
      try {
        await flush(entries);
      } catch (e) {
        log.error("batch flush crashed; messages will be redelivered", { err: e });
        for (const x of entries) (x.item?.msg ?? x.poison!.msg).nak(nakDelayMs);
      } finally {
        clearTimeout(stuck);
        busy.splice(busy.indexOf(started), 1);
        stats.busySince = busy[0] ?? 0;
      }
    },
  });

  const loop = (async () => {
    while (!stopped) {
      try {
        await ensureConsumer(deps, spec, ackWaitMs, batchSize);
        const messages = new JsPull(deps.nats.nc, {
          stream: spec.stream,
          durable: spec.durable,
          // Two batches: one committing while the next fills (as nats.js's count-bounded
          // consume had it), and never more than the ack wait lets a queue hold.
          maxMessages: batchSize * 2,
          budgetBytes: opts.pullBytes,
          consumerInfo: () => deps.nats.jsm.consumers.info(spec.stream, spec.durable),
          lostPullCheckMs: opts.lostPullCheckMs,
          log,
        });
        current = messages;
        if (stopped) messages.stop();
        try {
          for await (const m of messages) {
            await batcher.add(decodeEntry(m));
            if (stopped) break;
          }
        } finally {
          messages.stop();
        }
        await batcher.flushNow();
      } catch (e) {
        if (stopped) break;
        log.warn("consumer loop failed, restarting", { err: e });
      }
      current = null;
      // A supervisor, not a retry: the consume loop also ends normally (a consumer reset);
      // it is restarted half a second later either way, for as long as the projector runs.
      if (!stopped) await pause(500);
    }
  })();

  return {
    name: `projector:${spec.name}`,
    stats,
    async stop() {
      stopped = true;
      for (const keep of deferred) clearInterval(keep);
      deferred.clear();
      try {
        current?.stop();
      } catch { /* already closed */ }
      await batcher.close().catch(() => {});
      await acks.drained();
      await withTimeout(loop, 2_000); // a bound on shutdown
      await spec.close?.().catch(() => {});
    },
  };
}
