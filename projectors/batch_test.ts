import assert from "node:assert/strict";
import { Batcher, chunks, insertStatements, valuesSql } from "./batch.ts";

Deno.test("Batcher flushes at maxItems without waiting for the timer", async () => {
  const got: number[][] = [];
  const b = new Batcher<number>({
    maxItems: 3,
    maxWaitMs: 60_000,
    flush: (xs) => {
      got.push(xs);
      return Promise.resolve();
    },
  });
  for (const i of [1, 2, 3, 4]) await b.add(i);
  assert.deepEqual(got, [[1, 2, 3]]);
  await b.close();
  assert.deepEqual(got, [[1, 2, 3], [4]]);
});

Deno.test("Batcher flushes a partial batch after maxWaitMs", async () => {
  const { promise, resolve } = Promise.withResolvers<number[]>();
  const b = new Batcher<number>({
    maxItems: 100,
    maxWaitMs: 5,
    flush: (xs) => {
      resolve(xs);
      return Promise.resolve();
    },
  });
  await b.add(7);
  assert.deepEqual(await promise, [7]);
  await b.close();
});

Deno.test("Batcher never runs two flushes at once and survives a failing flush", async () => {
  let running = 0;
  let maxRunning = 0;
  const seen: number[] = [];
  const b = new Batcher<number>({
    maxItems: 2,
    maxWaitMs: 1,
    flush: async (xs) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 3));
      running--;
      seen.push(...xs);
      if (xs.includes(1)) throw new Error("boom");
    },
  });
  await Promise.all([1, 2, 3, 4, 5].map((i) => b.add(i)));
  await b.close();
  assert.equal(maxRunning, 1);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5]);
  await assert.rejects(() => b.add(6));
});

/** A flush that waits until the test releases it, recording each batch it got. */
function heldFlushes() {
  const batches: number[][] = [];
  const release: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    batches,
    get running() {
      return running;
    },
    get maxRunning() {
      return maxRunning;
    },
    releaseOne: () => release.shift()?.(),
    flush: async (xs: number[]) => {
      batches.push(xs);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => release.push(r));
      running--;
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

Deno.test("Batcher with overlap 2: a full batch starts beside the running flush, a third waits", async () => {
  const f = heldFlushes();
  const b = new Batcher<number>({ maxItems: 2, maxWaitMs: 60_000, overlap: 2, flush: f.flush });
  await b.add(1);
  await b.add(2); // full: the first flush
  await b.add(3);
  const fourth = b.add(4); // full again: starts beside the first
  await tick();
  assert.deepEqual(f.batches, [[1, 2], [3, 4]]);
  assert.equal(b.inFlight, 2);
  await fourth;
  await b.add(5);
  const sixth = b.add(6); // full, but both slots are taken: back-pressure
  let accepted = false;
  sixth.then(() => accepted = true);
  await tick();
  assert.equal(f.batches.length, 2);
  assert.equal(accepted, false);
  f.releaseOne();
  await tick();
  assert.deepEqual(f.batches, [[1, 2], [3, 4], [5, 6]]);
  assert.equal(accepted, true);
  const closed = b.close();
  f.releaseOne();
  f.releaseOne();
  await closed;
  assert.equal(f.maxRunning, 2);
});

Deno.test("Batcher with overlap 2: a partial batch waits for the running flush (batches grow)", async () => {
  const f = heldFlushes();
  const b = new Batcher<number>({ maxItems: 3, maxWaitMs: 5, overlap: 2, flush: f.flush });
  await b.add(1); // the timer sends it alone
  await tick();
  assert.deepEqual(f.batches, [[1]]);
  await b.add(2);
  await b.add(3); // due by the timer, not full: not beside the running flush
  await tick();
  assert.deepEqual(f.batches, [[1]]);
  f.releaseOne();
  await tick();
  assert.deepEqual(f.batches, [[1], [2, 3]]);
  assert.equal(f.maxRunning, 1);
  const closed = b.close();
  f.releaseOne();
  await closed;
});

Deno.test("chunks and valuesSql", async (t) => {
  for (
    const [xs, n, want] of [
      [[1, 2, 3, 4, 5], 2, [[1, 2], [3, 4], [5]]],
      [[], 3, []],
      [[1], 1, [[1]]],
    ] as [number[], number, number[][]][]
  ) {
    await t.step(`${xs.length}/${n}`, () => assert.deepEqual(chunks(xs, n), want));
  }
  assert.equal(valuesSql(2, 3), "(?,?,?),(?,?,?)");
  assert.throws(() => new Batcher({ maxItems: 0, maxWaitMs: 1, flush: () => Promise.resolve() }));
});

Deno.test("insertStatements: 200 rows a statement, the tail after the value lists, none for none", () => {
  const rows = Array.from({ length: 450 }, (_, i) => [i, `v${i}`]);
  const stmts = insertStatements("INSERT INTO t (a, b)", rows, "ON CONFLICT(a) DO NOTHING");
  assert.deepEqual(stmts.map((s) => s.args.length), [400, 400, 100]);
  assert.equal(
    stmts[2].sql,
    `INSERT INTO t (a, b) VALUES ${valuesSql(50, 2)} ON CONFLICT(a) DO NOTHING`,
  );
  assert.deepEqual(stmts[1].args.slice(0, 2), [200, "v200"]);
  assert.equal(
    insertStatements("INSERT INTO t (a)", [[1]]).at(0)?.sql,
    "INSERT INTO t (a) VALUES (?)",
  );
  assert.deepEqual(insertStatements("INSERT INTO t (a)", []), []);
});
