import assert from "node:assert/strict";
import { isDbUnavailable, isTransientDbError } from "./remote.ts";

Deno.test("remote DB errors: unreachable and dropped transactions are transient, SQL errors not", () => {
  const refused = new TypeError("fetch failed", {
    cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8080"), {
      code: "ECONNREFUSED",
    }),
  });
  for (
    const e of [
      refused,
      new Error("SERVER_ERROR: Server returned HTTP status 503"),
      Object.assign(new Error("Transaction timed out"), { code: "TRANSACTION_TIMEOUT" }),
      new Error("HRANA_WEBSOCKET_ERROR: WebSocket was closed"),
    ]
  ) {
    assert.ok(isDbUnavailable(e), String(e));
    assert.ok(isTransientDbError(e), String(e));
  }
  assert.ok(isTransientDbError(new Error("SQLITE_BUSY: database is locked")));
  assert.ok(!isDbUnavailable(new Error("SQLITE_BUSY: database is locked")));
  for (
    const e of [
      new Error("SQLITE_CONSTRAINT: UNIQUE constraint failed: agents.pc_id"),
      new Error("SERVER_ERROR: Server returned HTTP status 401"),
      new Error("SQL_PARSE_ERROR: unsupported statement: PRAGMA cache_size = -65536"),
    ]
  ) {
    assert.ok(!isTransientDbError(e), String(e));
  }
});
