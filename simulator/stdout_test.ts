import assert from "node:assert/strict";
import { MAX_REALISTIC_BYTES, realisticSize, realisticText } from "./stdout.ts";
import { prng } from "./util.ts";

Deno.test("stdout: realistic sizes follow the documented distribution", () => {
  const r = prng(42);
  const sizes = Array.from({ length: 20_000 }, () => realisticSize(r(), r())).sort((a, b) => a - b);
  const at = (p: number) => sizes[Math.floor(p * sizes.length)];
  assert.ok(at(0.5) > 500 && at(0.5) < 720, `median ${at(0.5)}`);
  assert.ok(at(0.9) > 3000 && at(0.9) < 5500, `p90 ${at(0.9)}`);
  assert.ok(at(0.99) > 12_000 && at(0.99) < 30_000, `p99 ${at(0.99)}`);
  assert.ok(sizes[0] >= 16 && sizes[sizes.length - 1] <= MAX_REALISTIC_BYTES);
});

Deno.test("stdout: realistic text has the asked size and ends a line", () => {
  const r = prng(7);
  for (const n of [16, 100, 600, 5000, 300_000]) {
    const t = realisticText(n, r);
    assert.ok(Math.abs(t.length - n) <= 1, `${n} → ${t.length}`);
    assert.ok(t.endsWith("\n"));
  }
  assert.equal(realisticText(600, prng(1)), realisticText(600, prng(1)));
});

Deno.test("stdout: realistic texts differ from draw to draw, have any size, end a line", () => {
  const r = prng(3);
  const a = realisticText(5000, r);
  const b = realisticText(5000, r);
  assert.notEqual(a, b); // different places of the text
  // Every output, whatever its size, is cut at a line end.
  for (const n of [1, 17, 999, MAX_REALISTIC_BYTES]) {
    const t = realisticText(n, r);
    assert.equal(t.length, n);
    assert.ok(t.endsWith("\n"));
  }
});
