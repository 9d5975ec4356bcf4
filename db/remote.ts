/**
 * What only a remote libSQL server (sqld: `http(s)://`, `libsql://`, `ws(s)://`) adds to
 * the store's failure modes: the server can be unreachable (restart, network), answer with
 * a 5xx, or roll back a write transaction it timed out (sqld takes the write lock from a
 * transaction idle for 5 s while another writer waits). None of these wrote anything the
 * caller can rely on, so a projector treats them like SQLITE_BUSY (redeliver later) and the
 * API answers 503, instead of isolating "bad" messages that are not bad.
 */
import { isBusy } from "./client.ts";

const UNREACHABLE =
  /fetch failed|error sending request|ECONNREFUSED|ECONNRESET|EPIPE|connection (refused|reset|closed)|broken pipe|HTTP status 5\d\d|HRANA_WEBSOCKET_ERROR|WebSocket (was )?closed|TRANSACTION_TIMEOUT|STREAM_EXPIRED/i;

function messages(e: unknown): string {
  const out: string[] = [];
  for (let x = e, depth = 0; x && depth < 5; depth++) {
    const err = x as { message?: unknown; code?: unknown; cause?: unknown };
    out.push(String(err.message ?? x), String(err.code ?? ""));
    x = err.cause;
  }
  return out.join(" | ");
}

/** True when the database server could not be reached or dropped the request or transaction. */
export function isDbUnavailable(e: unknown): boolean {
  return UNREACHABLE.test(messages(e));
}

/** Busy or unavailable: nothing usable was written, trying again later is right. */
export function isTransientDbError(e: unknown): boolean {
  return isBusy(e) || isDbUnavailable(e);
}
