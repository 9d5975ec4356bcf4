/** The projectors' own pull loop on a real broker: its bounds, a restart, a deleted consumer. */
import assert from "node:assert/strict";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { waitFor } from "../tests/helpers/backend.ts";
import { connectNats } from "../lib/nats.ts";
import { logger } from "../lib/log.ts";
import { JsPull } from "./js_pull.ts";

async function setup() {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] }, "js-pull-test");
  await nats.jsm.streams.add({ name: "JP", subjects: ["jp.>"] });
  await nats.jsm.consumers.add("JP", {
    durable_name: "jp",
    ack_policy: AckPolicy.Explicit,
    ack_wait: 30_000_000_000,
  });
  const publish = async (from: number, to: number, size = 1024) => {
    for (let n = from; n <= to; n++) {
      await nats.js.publish(`jp.${n}`, new TextEncoder().encode(String(n).padEnd(size, ".")));
    }
  };
  /** A reader of durable `durable` (stream JP) with `maxMessages` and, if given, a byte budget. */
  const pull = (durable: string, maxMessages: number, budgetBytes?: number) =>
    new JsPull(nats.nc, { stream: "JP", durable, maxMessages, budgetBytes, log: logger() });
  return {
    broker,
    nats,
    publish,
    pull,
    async stop() {
      await nats.close();
      await broker.stop();
    },
  };
}

/**
 * Reads until `count` distinct messages were acked (with `next()`: a `for await` that breaks
 * would end the reader); the largest queue seen on the way.
 */
async function readAll(pull: JsPull, count: number) {
  const seen = new Set<number>();
  let maxQueued = 0;
  let maxBytes = 0;
  while (seen.size < count) {
    const r = await pull.next();
    if (r.done) throw new Error(`the reader ended after ${seen.size} messages`);
    maxQueued = Math.max(maxQueued, pull.budget.queued.msgs + 1);
    maxBytes = Math.max(maxBytes, pull.budget.queued.bytes + r.value.data.length);
    seen.add(Number(new TextDecoder().decode(r.value.data).replace(/\.+$/, "")));
    r.value.ack();
    await new Promise((res) => setTimeout(res, 1)); // a reader slower than the broker
  }
  return { seen, maxQueued, maxBytes };
}

Deno.test("pulls ask for what the budget has free: the queue never holds more than its messages or bytes", async () => {
  const t = await setup();
  try {
    await t.publish(1, 60);
    const byCount = t.pull("jp", 8);
    const a = await readAll(byCount, 30);
    byCount.stop();
    assert.equal(a.seen.size, 30);
    assert.ok(a.maxQueued <= 8, `queued at most 8 messages (saw ${a.maxQueued})`);
    assert.ok(byCount.counts.pulls >= 30 / 8, `pulls ${byCount.counts.pulls}`);

    // Bytes bind: 256 KiB messages against the smallest budget (two of the broker's largest
    // messages, ~2 MiB) and a count they never reach.
    await t.publish(101, 120, 256 * 1024);
    await t.nats.jsm.consumers.add("JP", {
      durable_name: "jp_bytes",
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 61, // the large ones only
    });
    const byBytes = t.pull("jp_bytes", 10_000, 1);
    const b = await readAll(byBytes, 20);
    byBytes.stop();
    assert.equal(b.seen.size, 20);
    const budget = byBytes.budget.maxBytes;
    assert.ok(budget >= 2 * 1024 * 1024 && budget < 3 * 1024 * 1024, `budget ${budget}`);
    assert.ok(b.maxBytes <= budget, `queued at most the budget (saw ${b.maxBytes} of ${budget})`);
    assert.ok(b.maxQueued <= 8, `queued at most 8 large messages (saw ${b.maxQueued})`);
  } finally {
    await t.stop();
  }
});

Deno.test("a broker restart drops the pull: the reader pulls again and reads on", async () => {
  const t = await setup();
  try {
    await t.publish(1, 5);
    const pull = t.pull("jp", 100);
    const first = await readAll(pull, 5);
    assert.equal(first.seen.size, 5);
    const pullsBefore = pull.counts.pulls;
    await t.broker.restart({ downMs: 300 });
    await waitFor(() => t.nats.nc.isClosed() === false && pull.counts.pulls > pullsBefore, {
      what: "a new pull after the reconnect",
    });
    await t.publish(6, 10);
    const next = await readAll(pull, 5);
    assert.deepEqual([...next.seen].sort((x, y) => x - y), [6, 7, 8, 9, 10]);
    pull.stop();
  } finally {
    await t.stop();
  }
});

Deno.test("a deleted consumer ends the reader (its supervisor then opens the consumer again)", async () => {
  const t = await setup();
  try {
    const pull = t.pull("jp", 100);
    const ended = (async () => {
      for await (const m of pull) m.ack();
      return "ended";
    })();
    await waitFor(() => pull.counts.pulls > 0, { what: "the first pull" });
    await t.nats.jsm.consumers.delete("JP", "jp");
    const how = await Promise.race([
      ended,
      new Promise((r) => setTimeout(() => r("still reading"), 5_000)),
    ]);
    assert.equal(how, "ended");
  } finally {
    await t.stop();
  }
});
