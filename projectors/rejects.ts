/**
 * `projection_rejects`: a message that can never be projected (undecodable, or failing
 * again and again) is recorded here with its stream sequence and terminated, never looped
 * on. Plain data, so the results writer thread writes the rows in its own transaction.
 */
import type { StreamMsg } from "./js_pull.ts";
import { nowDb } from "../wire/time.ts";

/** A `projection_rejects` row, as plain data (it may cross to a writer thread). */
export interface RejectRow {
  stream: string;
  seq: number;
  subject: string;
  reason: string;
  payload: string;
}

export function rejectRow(stream: string, msg: StreamMsg, reason: string): RejectRow {
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
