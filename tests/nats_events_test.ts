/**
 * A connection's and a projector consumer's events reach the log (real broker, killed and
 * restarted or paused with SIGSTOP; the log lines captured from the console).
 */
import assert from "node:assert/strict";
import { AckPolicy } from "@nats-io/jetstream";
import { startNatsServer } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/backend.ts";
import { connectNats } from "../lib/nats.ts";
import { logger, setLogLevel } from "../lib/log.ts";
import { JsPull } from "../projectors/js_pull.ts";

/** The JSON log lines written while `fn` runs. */
async function capturing(
  fn: (lines: Record<string, unknown>[]) => Promise<void>,
): Promise<void> {
  const lines: Record<string, unknown>[] = [];
  const { log: out, error: err } = console;
  const keep = (text: unknown) => {
    try {
      lines.push(JSON.parse(String(text)));
    } catch { /* not a log line */ }
  };
  console.log = keep;
  console.error = keep;
  try {
    await fn(lines);
  } finally {
    console.log = out;
    console.error = err;
  }
}

Deno.test("NATS connection: a lost and restored connection is logged with its name", async () => {
  const broker = await startNatsServer();
  await capturing(async (lines) => {
    const nats = await connectNats({ natsServers: [broker.url] }, "events-test");
    try {
      await broker.restart({ downMs: 300 });
      const line = (msg: string) =>
        lines.find((l) => l.msg === msg && l.connection === "events-test");
      const lost = await waitFor(() => line("NATS connection lost"), { what: "lost" });
      const back = await waitFor(() => line("NATS connection restored"), { what: "restored" });
      assert.equal(lost.level, "warn");
      assert.equal(back.level, "info");
      assert.equal(back.server, `127.0.0.1:${broker.port}`);
    } finally {
      await nats.close();
      await broker.stop();
    }
  });
});

Deno.test("projector consumer: its pulls (debug) and missed heartbeats (warn) are logged", async () => {
  const broker = await startNatsServer();
  setLogLevel("debug");
  await capturing(async (lines) => {
    const nats = await connectNats({ natsServers: [broker.url] }, "consumer-events-test");
    try {
      await nats.jsm.streams.add({ name: "EV", subjects: ["ev.>"] });
      await nats.jsm.consumers.add("EV", { durable_name: "ev", ack_policy: AckPolicy.Explicit });
      const messages = new JsPull(nats.nc, {
        stream: "EV",
        durable: "ev",
        maxMessages: 10,
        budgetBytes: 1 << 20,
        expiresMs: 1_000,
        heartbeatMs: 500,
        log: logger({ projector: "ev" }),
      });
      (async () => {
        for await (const m of messages) m.ack();
      })();
      await waitFor(
        () => lines.find((l) => l.event === "next" && l.level === "debug" && l.projector === "ev"),
        { what: "the first pull, at debug" },
      );
      // A broker that stops answering: no message, no heartbeat.
      await broker.signal("SIGSTOP");
      try {
        const missed = await waitFor(
          () => lines.find((l) => l.missed_heartbeats !== undefined),
          { what: "missed heartbeats", timeoutMs: 5000 },
        );
        assert.equal(missed.level, "warn");
        assert.equal(missed.projector, "ev");
        assert.match(String(missed.msg), /heard nothing from the broker/);
      } finally {
        await broker.signal("SIGCONT");
      }
      messages.stop();
    } finally {
      setLogLevel("info");
      await nats.close();
      await broker.stop();
    }
  });
});
