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
import { AckPolicy, DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import type { Transaction } from "@libsql/client";
import type { Deps } from "../lib/deps.ts";
import { isLocalUrl } from "../db/client.ts";
import { isTransientDbError } from "../db/remote.ts";
import { isNotFound } from "../lib/nats.ts";
import type { Component } from "../lib/component.ts";
import { Batcher } from "./batch.ts";
import { pause, withTimeout } from "../lib/retry.ts";
import { nowDb } from "../wire/time.ts";
import { fastInstantDb } from "./fast_ts.ts";
import { SUBJECT } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { headers } from "@nats-io/transport-node";
import { CHANGE_NODE_HEADER } from "../lib/reads/change_feed.ts";

/** A decoded message with what the projection needs from its envelope. */
export interface Item<T> {
  msg: JsMsg;
  value: T;
  seq: number;
  /** The JetStream publish time as canonical DB text (replays reproduce it). */
  recordedAt: string;
}

export interface ChangeNotice {
  kind: "result" | "execution" | "agent" | "audit" | "obs" | "check";
  [k: string]: unknown;
}

export interface JsProjectorSpec<T> {
  name: string;
  stream: string;
  durable: string;
  filter?: string;
  /** Throws when the payload can never be projected (poison). */
  decode(data: Uint8Array, subject: string): T;
  /** Optional I/O before the transaction (e.g. fetching overflow objects). */
  prepare?(items: Item<T>[]): Promise<void>;
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
  /** Releases what the spec holds (e.g. its writer thread) after the last batch. */
  close?(): Promise<void>;
}

/** A `projection_rejects` row, as plain data (it may cross to a writer thread). */
export interface RejectRow {
  stream: string;
  seq: number;
  subject: string;
  reason: string;
  payload: string;
}

export interface JsProjectorOptions {
  batchSize?: number;
  maxWaitMs?: number;
  ackWaitMs?: number;
  /** Redelivery delay after a transient failure. */
  nakDelayMs?: number;
}

export const MAX_DELIVERIES = 5;

/**
 * Settings of the connection a batch runs on (pooled connections start with SQLite's
 * defaults): a 64 MiB page cache (the indexes of execution_results outgrow 2 MiB fast),
 * and a WAL checkpoint every ~64 MiB instead of every 4 MiB — with 1000-row batches the
 * default made almost every commit run a checkpoint (and its fsync). Cheap to repeat.
 */
export const CONNECTION_PRAGMAS = [
  "PRAGMA cache_size = -65536",
  "PRAGMA wal_autocheckpoint = 16384",
];

/** JetStream publish time (BigInt nanos) → canonical DB timestamp, exact to the nanosecond. */
export function nanosToDb(ns: bigint): string {
  return fastInstantDb(Number(ns / 1_000_000n), Number(ns % 1_000_000n));
}

/** Nanoseconds since the epoch as decimal text → canonical DB timestamp (no BigInt). */
export function nanosTextToDb(ns: string): string {
  if (/^[0-9]{7,21}$/.test(ns)) return fastInstantDb(Number(ns.slice(0, -6)), Number(ns.slice(-6)));
  return nanosToDb(BigInt(ns));
}

/**
 * Stream sequence and publish time of a JetStream message from ONE pass over its reply
 * subject (`$JS.ACK[.<domain>.<hash>].<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.
 * <pending>…`); the client's getters split it once per field. Anything unexpected falls
 * back to the client's own parsing (which throws on a non-JetStream message).
 */
export function ackMeta(msg: Pick<JsMsg, "seq" | "timestampNanos">): {
  seq: number;
  recordedAt: string;
} {
  // `reply` is on the client's message class, not on the JsMsg interface.
  const reply = (msg as { reply?: unknown }).reply;
  const t = typeof reply === "string" ? reply.split(".") : [];
  const off = t.length === 9 ? -2 : 0;
  if (t[0] === "$JS" && t[1] === "ACK" && (t.length === 9 || t.length >= 11)) {
    const seq = Number(t[7 + off]);
    const ts = t[9 + off];
    if (Number.isSafeInteger(seq) && /^[0-9]+$/.test(ts)) {
      return { seq, recordedAt: nanosTextToDb(ts) };
    }
  }
  return { seq: msg.seq, recordedAt: nanosToDb(msg.timestampNanos) };
}

export async function ensureConsumer(
  deps: Deps,
  spec: { stream: string; durable: string; filter?: string },
  ackWaitMs: number,
  batchSize = 1000,
): Promise<void> {
  const { jsm } = deps.nats;
  try {
    await jsm.consumers.info(spec.stream, spec.durable);
    return;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await jsm.consumers.add(spec.stream, {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ackWaitMs * 1_000_000,
    // Room for a full batch committing, the next one filling and the client's pull buffer.
    max_ack_pending: Math.max(20_000, batchSize * 4),
    ...(spec.filter ? { filter_subject: spec.filter } : {}),
  });
}

/** Delete the durable so it is recreated with deliver-all and the stream replays. */
export async function deleteConsumer(
  deps: Deps,
  stream: string,
  durable: string,
): Promise<boolean> {
  try {
    return await deps.nats.jsm.consumers.delete(stream, durable);
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

export function rejectRow(stream: string, msg: JsMsg, reason: string): RejectRow {
  let payload: string;
  try {
    payload = new TextDecoder().decode(msg.data.subarray(0, 65_536));
  } catch {
    payload = "";
  }
  return { stream, seq: msg.seq, subject: msg.subject, reason: reason.slice(0, 1000), payload };
}

export function rejectStmt(r: RejectRow) {
  return {
    sql: `INSERT OR IGNORE INTO projection_rejects
            (stream, stream_seq, subject, reason, payload, rejected_at) VALUES (?,?,?,?,?,?)`,
    args: [r.stream, r.seq, r.subject, r.reason, r.payload, nowDb()],
  };
}

export function publishChanges(deps: Deps, notices: ChangeNotice[]): void {
  if (!notices.length) return;
  // Which read model committed it: a local-mode API forwards only its own node's notices.
  const h = headers();
  h.set(CHANGE_NODE_HEADER, deps.config.nodeId);
  for (const n of notices) {
    try {
      deps.nats.nc.publish(`${SUBJECT.changesPrefix}${n.kind}`, jsonBytes(n), { headers: h });
    } catch { /* connection closing: notices are best-effort */ }
  }
}

export interface ProjectorStats {
  applied: number;
  rejected: number;
  naks: number;
  batches: number;
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
  const ackWaitMs = opts.ackWaitMs ?? 30_000;
  const nakDelayMs = opts.nakDelayMs ?? 1_000;
  const stats: ProjectorStats = { applied: 0, rejected: 0, naks: 0, batches: 0 };
  let stopped = false;
  let current: { stop(): void; close(): Promise<void | Error> } | null = null;
  /** Acks of committed batches still to send (see flush); stop() waits for them. */
  let acking: Promise<void> = Promise.resolve();
  // Page-cache and checkpoint tuning is for a local file; a libSQL server refuses PRAGMAs.
  const pragmas = isLocalUrl(deps.config.dbUrl) ? CONNECTION_PRAGMAS : [];

  type Poison = { msg: JsMsg; reason: string };
  /** A message as the batcher holds it: decoded on arrival, or set aside as poison. */
  type Entry = { item: Item<T>; poison?: undefined } | { item?: undefined; poison: Poison };

  async function commit(good: Item<T>[], poison: Poison[]): Promise<ChangeNotice[]> {
    if (spec.commitBatch) {
      return await spec.commitBatch(
        good,
        poison.map((p) => rejectRow(spec.stream, p.msg, p.reason)),
      );
    }
    const tx = await deps.db.transaction("write");
    try {
      for (const p of pragmas) await tx.execute(p);
      const notices = good.length ? await spec.apply(tx, good) : [];
      if (poison.length) {
        await tx.batch(poison.map((p) => rejectStmt(rejectRow(spec.stream, p.msg, p.reason))));
      }
      await tx.commit();
      return notices;
    } catch (e) {
      await tx.rollback().catch(() => {});
      throw e;
    } finally {
      tx.close();
    }
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
  function decodeEntry(msg: JsMsg): Entry {
    try {
      const value = spec.decode(msg.data, msg.subject);
      const { seq, recordedAt } = ackMeta(msg);
      return { item: { msg, value, seq, recordedAt } };
    } catch (e) {
      const reason = `undecodable: ${(e as Error).message ?? e}`;
      log.warn("poison message set aside", { seq: msg.seq, subject: msg.subject, reason });
      return { poison: { msg, reason } };
    }
  }

  async function flush(entries: Entry[]): Promise<void> {
    stats.batches++;
    const good: Item<T>[] = [];
    const poison: Poison[] = [];
    for (const e of entries) {
      if (e.item) good.push(e.item);
      else poison.push(e.poison);
    }
    try {
      if (spec.prepare && good.length) await spec.prepare(good);
      const notices = await commit(good, poison);
      // Acked on the next macrotask: the batcher first hands the next batch to the writer
      // (its start runs on microtasks), so a writer thread commits while these acks go out
      // instead of waiting for them. An ack still only ever follows its commit.
      acking = acking.then(() =>
        new Promise<void>((r) =>
          setTimeout(() => {
            settle(good, poison, notices);
            r();
          }, 0)
        )
      );
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

  const batcher = new Batcher<Entry>({
    maxItems: batchSize,
    maxWaitMs: opts.maxWaitMs ?? 5,
    flush: async (entries) => {
      try {
        await flush(entries);
      } catch (e) {
        log.error("batch flush crashed; messages will be redelivered", { err: e });
        for (const x of entries) (x.item?.msg ?? x.poison!.msg).nak(nakDelayMs);
      }
    },
  });

  const loop = (async () => {
    while (!stopped) {
      try {
        await ensureConsumer(deps, spec, ackWaitMs, batchSize);
        const consumer = await deps.nats.js.consumers.get(spec.stream, spec.durable);
        const messages = await consumer.consume({ max_messages: batchSize * 2 });
        current = messages;
        if (stopped) messages.stop();
        for await (const m of messages) {
          await batcher.add(decodeEntry(m));
          if (stopped) break;
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
      try {
        current?.stop();
      } catch { /* already closed */ }
      await batcher.close().catch(() => {});
      await acking;
      await withTimeout(loop, 2_000); // a bound on shutdown
      await spec.close?.().catch(() => {});
    },
  };
}
