/** A pulled message alone: its delivery info from either reply form, and what it answers. */
import assert from "node:assert/strict";
import type { Msg } from "@nats-io/transport-node";
import { PulledMsg } from "./pulled_msg.ts";

function received(reply: string, size?: () => number) {
  const sent: string[] = [];
  const msg = {
    subject: "results.pc-1",
    reply,
    data: new TextEncoder().encode("{}"),
    respond: (p: Uint8Array) => sent.push(new TextDecoder().decode(p)) > 0,
    size,
  } as unknown as Msg;
  return { pm: new PulledMsg(msg), sent };
}

Deno.test("delivery info from a 2.9 reply subject and from a newer one with domain and hash", () => {
  const old = received("$JS.ACK.RESULTS.results.3.41.40.1796642780613621553.9").pm;
  assert.equal(old.seq, 41);
  assert.equal(old.info.deliveryCount, 3);
  assert.equal(old.info.redelivered, true);
  assert.equal(old.info.pending, 9);
  assert.equal(old.info.stream, "RESULTS");
  assert.equal(old.timestampNanos, 1796642780613621553n);
  const next = received("$JS.ACK.hub.ACCHASH.RESULTS.results.1.7.6.1796642780613621554.0.xyz").pm;
  assert.equal(next.seq, 7);
  assert.equal(next.info.domain, "hub");
  assert.equal(next.info.deliveryCount, 1);
  assert.equal(next.timestampNanos, 1796642780613621554n);
  // The client's own count of subject, reply, headers and payload when it has one.
  assert.equal(received(next.reply, () => 1234).pm.size, 1234);
  assert.equal(next.size, "results.pc-1".length + next.reply.length + 2, "without it");
  assert.throws(() => received("_INBOX.x").pm.info, /not a JetStream message/);
});

Deno.test("ack, nak with a delay, term and progress answer on the reply subject; only progress repeats", () => {
  const r = received("$JS.ACK.S.c.1.1.1.1.0");
  r.pm.working();
  r.pm.working();
  r.pm.nak(1500);
  r.pm.ack();
  r.pm.term();
  assert.deepEqual(r.sent, ["+WPI", "+WPI", '-NAK {"delay":1500000000}']);
  const t = received("$JS.ACK.S.c.1.2.2.1.0");
  t.pm.term();
  t.pm.ack();
  assert.deepEqual(t.sent, ["+TERM"]);
});
