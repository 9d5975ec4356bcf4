import assert from "node:assert/strict";
import { readPubAck } from "./pub_ack.ts";

const te = new TextEncoder();

Deno.test("readPubAck: a PubAck, a duplicate, and every refusal", () => {
  assert.deepEqual(readPubAck(null, te.encode('{"stream":"RESULTS","seq":7}')), {
    ok: true,
    ack: { stream: "RESULTS", seq: 7, duplicate: false },
  });
  const dup = readPubAck(null, te.encode('{"stream":"EXEC","seq":7,"duplicate":true}'));
  assert.equal(dup.ok && dup.ack.duplicate, true);
  const refusals: [number | null, string, RegExp, boolean][] = [
    [503, "", /^no responders/, true],
    [408, "", /status 408/, false],
    [
      null,
      '{"error":{"code":503,"description":"insufficient resources"}}',
      /insufficient.*\(503\)/,
      false,
    ],
    [
      null,
      '{"error":{"code":400,"err_code":10054,"description":"message size exceeds maximum allowed"}}',
      /maximum allowed \(10054\)$/,
      false,
    ],
    [null, '{"error":{}}', /^publish refused: error/, false],
    [null, "not json", /not JSON/, false],
    [null, '{"stream":"RESULTS"}', /without stream and seq/, false],
    [null, '{"stream":"EXEC","seq":"1"}', /without stream and seq/, false],
    [null, "null", /without stream and seq/, false],
    [null, "[1,2]", /without stream and seq/, false],
  ];
  for (const [status, body, re, noResponders] of refusals) {
    const o = readPubAck(status, te.encode(body));
    assert.equal(o.ok, false, body);
    if (o.ok) continue;
    assert.match(o.reason, re);
    assert.equal(o.noResponders, noResponders);
  }
});
