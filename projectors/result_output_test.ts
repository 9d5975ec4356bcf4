/** The overflow output of a result: read from `result_output` on a real broker. */
import assert from "node:assert/strict";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { connectNats, wrapNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { OBJECT_STORE } from "../wire/names.ts";
import { fetchObject } from "./result_output.ts";

Deno.test("overflow output: a broker that stops answering for a while is waited out; a missing object is empty at once", async () => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] });
  const warnings: string[] = [];
  const log = { warn: (msg: string) => warnings.push(msg) } as never;
  try {
    await setupJetStream(nats);
    const store = await nats.obj(OBJECT_STORE.resultOutput);
    await store.putBlob({ name: "r1/stdout" }, new TextEncoder().encode("big output\n"));
    // Short request timeouts, so the frozen broker times the first reads out.
    const view = await wrapNats(nats.nc, { timeout: 300 });
    await broker.signal("SIGSTOP");
    const resumed = new Promise((r) => setTimeout(r, 1_500)).then(() => broker.signal("SIGCONT"));
    const text = await fetchObject({ nats: view, log }, "r1/stdout");
    await resumed;
    assert.equal(text, "big output\n");
    assert.deepEqual(warnings, []);
    // Still frozen past the budget: "not yet" (null, the message is redelivered), or empty
    // text once the message has been delivered too often.
    await broker.signal("SIGSTOP");
    try {
      assert.equal(await fetchObject({ nats: view, log }, "r1/stdout", { budgetMs: 600 }), null);
      assert.equal(
        await fetchObject({ nats: view, log }, "r1/stdout", { budgetMs: 600, giveUp: true }),
        "",
      );
    } finally {
      await broker.signal("SIGCONT");
    }
    assert.deepEqual(warnings, [
      "overflow output unavailable, result redelivered later",
      "overflow output unavailable, projecting empty text",
    ]);
    warnings.length = 0;
    const t0 = performance.now();
    assert.equal(await fetchObject({ nats: view, log }, "r2/stdout"), "");
    assert.ok(performance.now() - t0 < 2_000, "a missing object is not retried");
    assert.equal(warnings.length, 1);
  } finally {
    await broker.signal("SIGCONT").catch(() => {});
    await nats.close();
    await broker.stop();
  }
});

Deno.test("overflow output: an object replaced while it is read (a shared request_id) is read again, and the abandoned read leaves no consumer", async () => {
  const broker = await startNatsServer();
  const nats = await connectNats({ natsServers: [broker.url] });
  const warnings: string[] = [];
  const log = { warn: (msg: string) => warnings.push(msg) } as never;
  const te = new TextEncoder();
  try {
    await setupJetStream(nats);
    const store = await nats.obj(OBJECT_STORE.resultOutput);
    const first = await store.putBlob({ name: "r3/stdout" }, te.encode("agent A output\n"));
    // The state a reader meets when another agent's write of the same key lands between its
    // reading the description and the chunks: the description names chunks that are gone.
    const bucketStream = `OBJ_${OBJECT_STORE.resultOutput}`;
    await nats.jsm.streams.purge(bucketStream, {
      filter: `$O.${OBJECT_STORE.resultOutput}.C.${first.nuid}`,
    });
    // The other agent's write completes a moment later.
    const replaced = new Promise((r) => setTimeout(r, 700)).then(() =>
      store.putBlob({ name: "r3/stdout" }, te.encode("agent B output\n"))
    );
    const read = fetchObject({ nats, log }, "r3/stdout", { idleMs: 300, budgetMs: 10_000 });
    const guard = new Promise<string>((r) => setTimeout(() => r("still waiting"), 8_000));
    const text = await Promise.race([read, guard]);
    await replaced;
    assert.equal(text, "agent B output\n");
    assert.deepEqual(warnings, []);
    // The stalled read's chunk consumer was stopped: none is bound to a subscriber any more
    // (the server sees the unsubscribe a moment after the read returns: polled, up to 3 s).
    let bound: string[] = [];
    for (const until = Date.now() + 3_000; Date.now() < until;) {
      bound = [];
      for await (const c of nats.jsm.consumers.list(bucketStream)) {
        if (c.push_bound) bound.push(c.name);
      }
      if (!bound.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(bound, []);
  } finally {
    await nats.close();
    await broker.stop();
  }
});
