/**
 * publishCommand against a real broker: it returns once EXEC has stored the Command, the
 * frame agents get is the plain one (no header block), and each way it can fail says
 * whether the Command may have gone out.
 */
import assert from "node:assert/strict";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../../tests/helpers/nats_server.ts";
import { CommandPublishFailure, publishCommand } from "./command_publish.ts";
import { jsonBytes, utf8 } from "../../wire/codec.ts";

const payload = jsonBytes({ id: "job", version: "1", request_id: "r-1", script: "Get-Date" });

/** A broker, the backend's connection and an agent's, torn down after `fn`. */
async function withBroker(
  fn: (
    nc: NatsConnection,
    agent: NatsConnection,
    jsm: JetStreamManager,
    url: string,
  ) => Promise<void>,
) {
  const broker = await startNatsServer();
  const nc = await connect({ servers: broker.url });
  const agent = await connect({ servers: broker.url });
  try {
    await fn(nc, agent, await jetstreamManager(nc), broker.url);
  } finally {
    await agent.close();
    if (!nc.isClosed()) await nc.close();
    await broker.stop();
  }
}

Deno.test("a Command is stored in EXEC when publishCommand returns; agents get the plain frame", () =>
  withBroker(async (nc, agent, jsm) => {
    await jsm.streams.add({ name: "EXEC", subjects: ["commands.>"], max_msgs_per_subject: 1 });
    const got: Msg[] = [];
    agent.subscribe("commands.group.a", { callback: (_e, m) => void got.push(m) });
    agent.subscribe("commands.pc.PC-1", { callback: (_e, m) => void got.push(m) });
    await agent.flush();

    await publishCommand(nc, ["commands.group.a", "commands.pc.PC-1"], payload, 5000);
    // Stored before the call returned: no wait, read the stream at once.
    for (const subj of ["commands.group.a", "commands.pc.PC-1"]) {
      const m = await jsm.streams.getMessage("EXEC", { last_by_subj: subj });
      assert.equal(utf8(m!.data), utf8(payload));
    }
    await agent.flush();
    assert.deepEqual(got.map((m) => m.subject), ["commands.group.a", "commands.pc.PC-1"]);
    for (const m of got) {
      assert.equal(utf8(m.data), utf8(payload));
      assert.equal(m.headers, undefined, "no header block on the Command frame");
    }
  }));

Deno.test("publishCommand failures: refused by the stream, no stream, closed connection", () =>
  withBroker(async (nc, agent, jsm) => {
    // A stream that refuses the Command: it went out live, but is not stored.
    await jsm.streams.add({ name: "EXEC", subjects: ["commands.group.>"], max_msg_size: 16 });
    let live = 0;
    const liveSub = agent.subscribe("commands.>", { callback: () => void live++ });
    await agent.flush();
    await assert.rejects(
      publishCommand(nc, ["commands.group.a"], payload, 5000),
      (e) =>
        e instanceof CommandPublishFailure && e.sent && e.subject === "commands.group.a" &&
        /^EXEC did not store it: .*maximum/i.test(e.message),
    );
    // No stream captures the subject: an agent got it, nobody acks, the wait is bounded.
    await assert.rejects(
      publishCommand(nc, ["commands.pc.PC-9"], payload, 300),
      (e) =>
        e instanceof CommandPublishFailure && e.sent && e.subject === "commands.pc.PC-9" &&
        /^no ack from EXEC within 300 ms$/.test(e.message),
    );
    await agent.flush();
    assert.equal(live, 2);
    // A later subject's failure still reports the Command as possibly out.
    await jsm.streams.update("EXEC", { subjects: ["commands.group.>"], max_msg_size: -1 });
    await assert.rejects(
      publishCommand(nc, ["commands.group.b", "commands.pc.PC-9"], payload, 300),
      (e) => e instanceof CommandPublishFailure && e.sent && e.subject === "commands.pc.PC-9",
    );
    // Nobody subscribes at all: the broker says so, and no agent can have it.
    liveSub.unsubscribe();
    await agent.flush();
    await assert.rejects(
      publishCommand(nc, ["commands.pc.PC-9"], payload, 5000),
      (e) => e instanceof CommandPublishFailure && !e.sent && /not even EXEC/.test(e.message),
    );
    await nc.close();
    await assert.rejects(
      publishCommand(nc, ["commands.group.a"], payload, 5000),
      (e) => e instanceof CommandPublishFailure && !e.sent,
    );
  }));

Deno.test("an agent answering the Command's reply subject first does not decide the outcome", () =>
  withBroker(async (nc, agent, _jsm, url) => {
    // No stream here: a second connection stands in for EXEC and acks 150 ms late, after
    // an agent (whose NATS user may answer what it is delivered) has answered with an error.
    const exec = await connect({ servers: url });
    try {
      let forged = 0;
      agent.subscribe("commands.pc.PC-1", {
        callback: (_e, m) => {
          forged++;
          m.respond(jsonBytes({ error: { code: 500, description: "forged by an agent" } }));
        },
      });
      exec.subscribe("commands.pc.PC-1", {
        callback: (_e, m) =>
          void setTimeout(() => m.respond(jsonBytes({ stream: "EXEC", seq: 1 })), 150),
      });
      await agent.flush();
      await exec.flush();
      await publishCommand(nc, ["commands.pc.PC-1"], payload, 5000);
      assert.equal(forged, 1);
      // A refusal that no PubAck follows stands, after its grace rather than the timeout:
      // nobody subscribes to PC-2; PC-1 is stored, so the Command went out.
      const t0 = Date.now();
      await assert.rejects(
        publishCommand(nc, ["commands.pc.PC-2", "commands.pc.PC-1"], payload, 5000),
        (e) =>
          e instanceof CommandPublishFailure && e.sent && e.subject === "commands.pc.PC-2" &&
          /not even EXEC/.test(e.message),
      );
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      await exec.close();
    }
  }));
