import assert from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import { clampInt } from "./agent_rpc.ts";

Deno.test("clampInt() defaults, clamps and refuses garbage", async (t) => {
  const cases: [string | undefined, number][] = [
    [undefined, 45],
    ["", 45],
    ["10", 10],
    ["0", 1],
    ["9999", 120],
    [" 7 ", 7],
  ];
  for (const [raw, want] of cases) {
    await t.step(String(raw), () => assert.equal(clampInt(raw, "wait_secs", 45, 1, 120), want));
  }
  for (const bad of ["-1", "1.5", "abc", "1e3"]) {
    await t.step(`bad ${bad}`, () => {
      assert.throws(
        () => clampInt(bad, "wait_secs", 45, 1, 120),
        (e) => e instanceof ValidationError,
      );
    });
  }
});
