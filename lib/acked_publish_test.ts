import assert from "node:assert/strict";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { connectNats } from "./nats.ts";
import { setupJetStream } from "./jetstream_setup.ts";
import { STREAM, subjects } from "../wire/names.ts";
import { AckedPublisher, decodePubAck, PublishFailed } from "./acked_publish.ts";
const te = new TextEncoder();

Deno.test("decodePubAck: the ack, or PublishFailed with the reason", () => {
  assert.deepEqual(decodePubAck(null, te.encode('{"stream":"RESULTS","seq":7}')), {
    stream: "RESULTS",
    seq: 7,
    duplicate: false,
  });
  assert.throws(() => decodePubAck(503, te.encode("")), (e) => {
    assert.ok(e instanceof PublishFailed);
    assert.match((e as Error).message, /no responders/);
    return true;
  });
});

Deno.test("AckedPublisher against a real broker: acks, no stream, no answer, closing", async () => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] }, "acked-publish-test");
  try {
    await setupJetStream(nats);
    const acks = new AckedPublisher(nats.nc, 400, 50);

    // Stored: the stream's own ack, with consecutive sequence numbers.
    const subject = subjects.eventsStarted("e1", "PC-1");
    const a1 = await acks.publish(subject, "{}");
    const a2 = await acks.publish(subject, te.encode("{}"));
    assert.equal(a1.stream, STREAM.events);
    assert.equal(a2.seq, a1.seq + 1);
    const info = await nats.jsm.streams.info(STREAM.events);
    assert.equal(info.state.messages, 2);

    // No stream on the subject: the broker's 503 fails it at once, not at the deadline.
    const t0 = performance.now();
    await assert.rejects(acks.publish("nowhere.at.all", "{}"), /no responders/);
    assert.ok(performance.now() - t0 < 300, "a 503 is not a timeout");

    // Someone listens but nobody acks: the sweep fails it after the timeout.
    const mute = nats.nc.subscribe("mute.subject", { callback: () => {} });
    const t1 = performance.now();
    await assert.rejects(acks.publish("mute.subject", "{}"), /no ack in time/);
    assert.ok(performance.now() - t1 >= 390);
    mute.unsubscribe();
    assert.equal(acks.inFlight, 0);

    // Closing fails what still waits.
    const mute2 = nats.nc.subscribe("mute.two", { callback: () => {} });
    await nats.nc.flush();
    const waiting = acks.publish("mute.two", "{}");
    acks.close();
    await assert.rejects(waiting, /connection closed/);
    mute2.unsubscribe();
  } finally {
    await nats.nc.close();
    await broker.stop();
  }
});
