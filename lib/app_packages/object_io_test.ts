import assert from "node:assert/strict";
import { seekChunkSeq } from "./object_io.ts";

/** `before(s)` for chunks stored at the given stream sequences. */
function counter(seqs: number[]) {
  let calls = 0;
  const before = (s: number) => {
    calls++;
    return Promise.resolve(seqs.filter((x) => x < s).length);
  };
  return { before, calls: () => calls };
}

Deno.test("seekChunkSeq() finds where chunk k starts, interleaved or not", async (t) => {
  await t.step("back to back: the guess is checked and taken", async () => {
    const seqs = [10, 11, 12, 13, 14];
    const c = counter(seqs);
    assert.equal(await seekChunkSeq(3, 10, 15, c.before, 13), 13);
    assert.ok(c.calls() <= 2);
  });
  await t.step("interleaved with another upload: binary search", async () => {
    const seqs = [5, 8, 9, 20, 31, 32, 60];
    const c = counter(seqs);
    for (let k = 0; k < seqs.length; k++) {
      const s = await seekChunkSeq(k, 5, 61, c.before, 5 + k);
      assert.equal(seqs.filter((x) => x < s).length, k, `k=${k}`);
      assert.ok(seqs.includes(s) || k === 0 || s === seqs[k - 1] + 1, `k=${k} s=${s}`);
      assert.ok(s <= seqs[k], "reading from s delivers chunk k first");
    }
  });
});
