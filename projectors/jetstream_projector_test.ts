/** The JetStream projector engine on a real broker and DB: a message `prepare` defers. */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "../tests/helpers/backend.ts";
import type { Transaction } from "@libsql/client";
import { type Item, startJsProjector } from "./jetstream_projector.ts";
import { renderMetrics, trackProjector } from "../lib/metrics.ts";
import { connectNats } from "../lib/nats.ts";
import { startPullSwallowingProxy } from "../tests/helpers/pull_swallowing_proxy.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";

type Be = Awaited<ReturnType<typeof startTestBackend>>;

/**
 * A stream `<NAME>_T` of `{ n }` messages projected into a table of their numbers: the
 * spec's common part, a publish and the row count.
 */
async function numbered(be: Be, name: string) {
  await be.deps.nats.jsm.streams.add({ name: name.toUpperCase(), subjects: [`${name}.>`] });
  await be.deps.db.execute(`CREATE TABLE ${name} (n INTEGER PRIMARY KEY)`);
  return {
    spec: {
      name,
      stream: name.toUpperCase(),
      durable: name,
      decode: (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as { n: number },
      async apply(tx: Transaction, items: Item<{ n: number }>[]) {
        for (const it of items) {
          await tx.execute({ sql: `INSERT INTO ${name} (n) VALUES (?)`, args: [it.value.n] });
        }
        return [];
      },
    },
    publish: (n: number) => be.deps.nats.js.publish(`${name}.${n}`, JSON.stringify({ n })),
    count: async () =>
      Number((await be.deps.db.execute(`SELECT COUNT(*) AS c FROM ${name}`)).rows[0].c),
  };
}

Deno.test("a message prepare cannot complete is redelivered alone; the rest of its batch commits", async () => {
  const be = await startTestBackend({ projectors: false });
  const deliveries = new Map<number, number>();
  const t = await numbered(be, "defer_t");
  const p = startJsProjector(be.deps, {
    ...t.spec,
    prepare(items) {
      for (const it of items) deliveries.set(it.value.n, (deliveries.get(it.value.n) ?? 0) + 1);
      // Even numbers "need an object the broker did not hand out" on first delivery.
      return Promise.resolve(
        items.filter((it) => it.value.n % 2 === 0 && it.msg.info.deliveryCount === 1),
      );
    },
  }, { nakDelayMs: 100 });
  try {
    for (let n = 1; n <= 10; n++) await t.publish(n);
    await waitFor(async () => await t.count() === 10, { what: "every message projected once" });
    for (let n = 1; n <= 10; n++) {
      assert.equal(deliveries.get(n), n % 2 === 0 ? 2 : 1, `deliveries of ${n}`);
    }
    assert.equal(p.stats.naks, 5);
  } finally {
    await p.stop();
    await be.stop();
  }
});

Deno.test("a batch that never finishes is logged once past its ack wait and shows its age in /metrics", async () => {
  const be = await startTestBackend({ projectors: false });
  const errors: string[] = [];
  const log = {
    debug() {},
    info() {},
    warn() {},
    error: (msg: string) => void errors.push(msg),
    child() {
      return log;
    },
  };
  const release = Promise.withResolvers<void>();
  await be.deps.nats.jsm.streams.add({ name: "STUCK_T", subjects: ["stuck_t.>"] });
  const p = startJsProjector({ ...be.deps, log: log as never }, {
    name: "stuck_t",
    stream: "STUCK_T",
    durable: "stuck_t",
    decode: (data) => new TextDecoder().decode(data),
    // A read that does not end (as an overflow object's purged chunks did) until released.
    prepare: () => release.promise,
    apply: () => Promise.resolve([]),
  }, { stuckWarnMs: 300 });
  const untrack = trackProjector("stuck_t", "stuck_t", p.stats);
  const age = async () => {
    const m = /kanade_projector_batch_age_seconds\{projector="stuck_t",durable="stuck_t"\} (\S+)/
      .exec((await renderMetrics()).body);
    return Number(m?.[1]);
  };
  try {
    await be.deps.nats.js.publish("stuck_t.1", "x");
    await waitFor(() => Promise.resolve(errors.length > 0), { what: "the stuck batch logged" });
    assert.deepEqual(errors, ["batch still in flight past the ack wait; the projector is held"]);
    assert.ok(await age() >= 0.3, "the batch's age is exported");
    release.resolve();
    await waitFor(() => Promise.resolve(p.stats.applied === 1), { what: "the batch committed" });
    assert.equal(await age(), 0);
    assert.equal(errors.length, 1, "logged once");
  } finally {
    untrack();
    await p.stop();
    await be.stop();
  }
});

Deno.test("arrived() sees each message while an earlier batch is still being written; a throw in it loses nothing", async () => {
  const be = await startTestBackend({ projectors: false });
  const arrivedAt = new Map<number, number>();
  const preparedAt = new Map<number, number>();
  const firstBatchHeld = Promise.withResolvers<void>();
  let batches = 0;
  const t = await numbered(be, "arrive_t");
  const p = startJsProjector(be.deps, {
    ...t.spec,
    arrived: (it) => {
      arrivedAt.set(it.value.n, performance.now());
      if (it.value.n === 3) throw new Error("a hook that fails must not cost the message");
    },
    prepare(items) {
      for (const it of items) preparedAt.set(it.value.n, performance.now());
      // The first batch (message 1 alone) is held, as a slow write would hold it.
      return batches++ === 0 ? firstBatchHeld.promise : Promise.resolve();
    },
  }, { maxWaitMs: 1 });
  try {
    await t.publish(1);
    await waitFor(() => preparedAt.has(1), { what: "first batch in flight" });
    for (let n = 2; n <= 5; n++) await t.publish(n);
    await waitFor(() => arrivedAt.size === 5, { what: "later messages arrived" });
    assert.equal(preparedAt.size, 1, "their batch has not started: the first one is held");
    firstBatchHeld.resolve();
    await waitFor(async () => await t.count() === 5, { what: "all projected" });
    for (let n = 2; n <= 5; n++) assert.ok(arrivedAt.get(n)! < preparedAt.get(n)!);
  } finally {
    firstBatchHeld.resolve();
    await p.stop();
    await be.stop();
  }
});

Deno.test("a message whose I/O is still running leaves its batch, joins a later one, and is kept in progress past its ack wait", async () => {
  const be = await startTestBackend({ projectors: false });
  const slow = Promise.withResolvers<void>();
  const arrivals = new Map<number, number>();
  const applied: { n: number; delivery: number }[] = [];
  const t = await numbered(be, "pending_t");
  let released = false;
  const p = startJsProjector(be.deps, {
    ...t.spec,
    arrived: (it) => void arrivals.set(it.value.n, (arrivals.get(it.value.n) ?? 0) + 1),
    // Message 2's "object read" is slow; its batch would wait for it in prepare.
    pending: (it) => it.value.n === 2 && !released ? slow.promise : undefined,
    async prepare(items) {
      if (items.some((it) => it.value.n === 2)) await slow.promise;
    },
    apply(tx, items) {
      for (const it of items) applied.push({ n: it.value.n, delivery: it.msg.info.deliveryCount });
      return t.spec.apply(tx, items);
    },
  }, { ackWaitMs: 1_500, maxWaitMs: 1 });
  try {
    for (let n = 1; n <= 5; n++) await t.publish(n);
    await waitFor(async () => await t.count() === 4, { what: "the rest of the batch committed" });
    // Past two ack waits, still not redelivered: the engine keeps it in progress.
    await new Promise((r) => setTimeout(r, 3_500));
    assert.equal(await t.count(), 4);
    released = true;
    slow.resolve();
    await waitFor(async () => await t.count() === 5, { what: "message 2 in a later batch" });
    assert.equal(arrivals.get(2), 1, "delivered once");
    assert.deepEqual(applied.filter((a) => a.n === 2), [{ n: 2, delivery: 1 }]);
    assert.deepEqual(applied.map((a) => a.n).sort(), [1, 2, 3, 4, 5]);
  } finally {
    slow.resolve();
    await p.stop();
    await be.stop();
  }
});

Deno.test("a pull the broker loses is noticed and pulled again in seconds, not after nats.js's 30–45 s", async () => {
  const be = await startTestBackend({ projectors: false });
  const proxy = startPullSwallowingProxy(be.broker.port);
  const proxied = await connectNats({ natsServers: [proxy.url] }, "proxied-projector");
  const warnings: string[] = [];
  const log = {
    debug() {},
    info() {},
    warn: (msg: string) => void warnings.push(msg),
    error() {},
    child() {
      return log;
    },
  };
  const t = await numbered(be, "lost_pull");
  proxy.swallow(1); // the consume's first pull never reaches the broker
  const p = startJsProjector({ ...be.deps, nats: proxied, log: log as never }, t.spec, {
    lostPullCheckMs: 1_000,
  });
  try {
    await waitFor(() => proxy.swallowed === 1, { what: "the first pull lost" });
    for (let n = 1; n <= 5; n++) await t.publish(n);
    // Without the watch, nats.js re-pulls after two missed idle heartbeats: 30–45 s.
    await waitFor(async () => await t.count() === 5, {
      timeoutMs: 8_000,
      what: "the messages projected after the lost pull",
    });
    assert.ok(
      warnings.includes("projector's pull was lost by the broker; pulling again"),
      `the re-pull is logged (${warnings})`,
    );
  } finally {
    await p.stop();
    await proxied.close();
    proxy.close();
    await be.stop();
  }
});

/**
 * Results of inventory size while the projector's event loop is blocked by each batch's
 * write: pulls bounded by count let the broker queue thousands of them for the connection,
 * past its `max_pending`, and it cut the connection as a slow consumer (bench
 * `large_results`: 7 cuts, 62 s). Bounded by bytes, it never holds more than the budget.
 */
Deno.test("large messages and a stalling event loop: the broker is never made to queue past its limit, nothing is lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kanade-big-" });
  const conf = `${dir}/broker.conf`;
  const logFile = `${dir}/broker.log`;
  // 8 MiB per connection instead of 64: the same cut, with a test-sized backlog.
  await Deno.writeTextFile(conf, "max_pending: 8MB\n");
  const broker = await startNatsServer({ configFile: conf, logFile });
  const be = await startTestBackend({ projectors: false, broker });
  const t = await numbered(be, "big_t");
  const pad = "x".repeat(120 * 1024);
  const total = 300;
  try {
    for (let n = 1; n <= total; n++) {
      await be.deps.nats.js.publish(`big_t.${n}`, JSON.stringify({ n, pad }));
    }
    const p = startJsProjector(be.deps, {
      ...t.spec,
      apply(tx, items) {
        // A synchronous write (SQLite on the main thread) holds the event loop.
        const until = performance.now() + 100;
        while (performance.now() < until) { /* busy */ }
        return t.spec.apply(tx, items);
      },
    }, { batchSize: 50, pullBytes: 2 * 1024 * 1024 });
    try {
      await waitFor(async () => await t.count() === total, {
        timeoutMs: 60_000,
        what: "every large message projected",
      });
    } finally {
      await p.stop();
    }
    const cuts = (await Deno.readTextFile(logFile)).split("\n")
      .filter((l) => l.includes("Slow Consumer Detected"));
    assert.deepEqual(cuts, [], "no slow-consumer cut");
  } finally {
    await be.stop();
    await broker.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("one-message batches committed back to back are acked right behind their commits, not one a timer turn", async () => {
  const be = await startTestBackend({ projectors: false });
  const t = await numbered(be, "acks_t");
  const total = 300;
  let committed = 0;
  let lagMax = 0;
  for (let n = 1; n <= total; n++) await t.publish(n);
  const p = startJsProjector(be.deps, {
    ...t.spec,
    async apply(tx, items) {
      const out = await t.spec.apply(tx, items);
      committed += items.length;
      // Batches committed and still unacked (their acks counted in stats.applied).
      lagMax = Math.max(lagMax, committed - p.stats.applied);
      return out;
    },
  }, { batchSize: 1, maxWaitMs: 0 });
  try {
    await waitFor(() => p.stats.applied === total, { what: "every message acked" });
    // One timer turn per batch acked one batch per ~4 ms: 213–220 of the 300 committed
    // batches waited at once. Now each turn acks everything committed before it (6–9).
    assert.ok(lagMax <= 50, `${lagMax} committed batches waited for their ack at once`);
  } finally {
    await p.stop();
    await be.stop();
  }
});
