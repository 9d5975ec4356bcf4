/**
 * Light subscriptions on a real broker: messages arrive, the broker holds the interest
 * (a request finds a responder) until UNSUB, and a broker restart resubscribes them.
 */
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { lightSubscribe } from "./light_sub.ts";

/** Whether the broker has a subscriber on `subject` (no responders → 503 at once). */
async function answered(nc: NatsConnection, subject: string): Promise<boolean> {
  try {
    await nc.request(subject, "ping", { timeout: 2000 });
    return true;
  } catch {
    return false;
  }
}

Deno.test("light subscriptions: deliver, unsubscribe at the broker, survive a broker restart", async () => {
  const broker = await startNatsServer();
  const agent = await connect({
    servers: broker.url,
    reconnectTimeWait: 100,
    maxReconnectAttempts: -1,
  });
  const other = await connect({
    servers: broker.url,
    reconnectTimeWait: 100,
    maxReconnectAttempts: -1,
  });
  try {
    const got: string[] = [];
    const a = lightSubscribe(agent, "agents.PC1.ping", (m) => {
      got.push(`ping ${m.string()}`);
      m.respond("pong");
    });
    const b = lightSubscribe(agent, "commands.pc.PC1", (m) => got.push(`cmd ${m.string()}`));
    await agent.flush();
    other.publish("commands.pc.PC1", "one");
    assert.equal(await answered(other, "agents.PC1.ping"), true);
    assert.deepEqual(got, ["cmd one", "ping ping"]);

    a.unsubscribe();
    a.unsubscribe(); // twice is harmless
    await agent.flush();
    assert.equal(await answered(other, "agents.PC1.ping"), false, "UNSUB reached the broker");

    await broker.restart({ downMs: 300 });
    // Both connections are back once a fresh subscription answers through the broker.
    const c = lightSubscribe(agent, "agents.PC1.ping", (m) => m.respond("pong"));
    for (let i = 0; i < 100 && !(await answered(other, "agents.PC1.ping")); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    got.length = 0;
    other.publish("commands.pc.PC1", "two");
    await other.flush();
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, ["cmd two"], "resubscribed after the restart");
    b.unsubscribe();
    c.unsubscribe();
  } finally {
    await agent.close();
    await other.close();
    await broker.stop();
  }
});
