/**
 * What a projection reads from a JetStream message's envelope: its stream sequence and
 * publish time (`recorded_at`), as canonical DB text exact to the nanosecond, parsed in
 * one pass over the reply subject (the hot path of every projector).
 */
import type { StreamMsg } from "./js_pull.ts";
import { fastInstantDb } from "./fast_ts.ts";

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
export function ackMeta(msg: Pick<StreamMsg, "seq" | "timestampNanos">): {
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
