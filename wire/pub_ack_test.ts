import assert from "node:assert/strict";
import { decodePubAck } from "./pub_ack.ts";
import { jsonBytes } from "./codec.ts";

Deno.test("decodePubAck: stored, refused, and what is not an ack", () => {
  assert.deepEqual(decodePubAck(jsonBytes({ stream: "EXEC", seq: 42 })), {
    ok: true,
    stream: "EXEC",
    seq: 42,
  });
  assert.deepEqual(decodePubAck(jsonBytes({ stream: "EXEC", seq: 7, duplicate: true })), {
    ok: true,
    stream: "EXEC",
    seq: 7,
  });
  assert.deepEqual(
    decodePubAck(
      jsonBytes({
        error: { code: 400, err_code: 10054, description: "message size exceeds maximum allowed" },
      }),
    ),
    { ok: false, reason: "message size exceeds maximum allowed (10054)" },
  );
  assert.deepEqual(decodePubAck(jsonBytes({ error: {} })), { ok: false, reason: "stream error" });
  assert.equal(decodePubAck(new TextEncoder().encode("pong")).ok, false);
  assert.equal(decodePubAck(jsonBytes({ stream: "EXEC" })).ok, false);
  assert.equal(decodePubAck(jsonBytes([1, 2])).ok, false);
  assert.equal(decodePubAck(jsonBytes({ seq: "1", stream: "EXEC" })).ok, false);
});
