/**
 * When may a starting process reset a shared durable so the stream replays? Only when
 * the durable has acked messages that the empty table no longer holds. A durable still
 * projecting its first batch (delivered, not yet acked: another process of a shared
 * deployment) is left alone; once acked messages are missing from the table, it resets.
 */
import assert from "node:assert/strict";
import { AckPolicy } from "@nats-io/jetstream";
import { startTestBackend } from "./helpers/backend.ts";
import { publishResult } from "./helpers/results.ts";
import { CONSUMER, STREAM } from "../wire/names.ts";
import { resetConsumersIfEmpty } from "../projectors/mod.ts";

Deno.test("a durable is reset only once it acked rows the empty table lost", async () => {
  const b = await startTestBackend({ projectors: false });
  try {
    const { js, jsm } = b.deps.nats;
    for (let i = 0; i < 3; i++) await publishResult(js, `PC-${i}`, "reset");
    // Another process's projector: it holds a delivered, unacked batch.
    const durable = CONSUMER.results;
    await jsm.consumers.add(STREAM.results, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 30_000_000_000,
    });
    const consumer = await js.consumers.get(STREAM.results, durable);
    const first = await consumer.next({ expires: 5_000 });
    assert.ok(first, "a delivered message");

    assert.deepEqual(await resetConsumersIfEmpty(b.deps, ["results"]), []);
    assert.ok(await jsm.consumers.info(STREAM.results, durable), "still there");

    // Its commit is acked, but the table is empty: that row was lost (a wiped DB).
    await first.ackAck();
    assert.deepEqual(await resetConsumersIfEmpty(b.deps, ["results"]), [durable]);
    await assert.rejects(() => jsm.consumers.info(STREAM.results, durable));
  } finally {
    await b.stop();
  }
});
