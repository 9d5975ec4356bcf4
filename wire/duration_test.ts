import assert from "node:assert/strict";
import { formatDurationSecs, parseDurationMs, parseDurationSecs } from "./duration.ts";

Deno.test("parseDurationSecs() accepts the humantime unit set", async (t) => {
  const cases: [string, number][] = [
    ["0s", 0],
    ["30s", 30],
    ["5m", 300],
    ["6h", 21_600],
    ["1d", 86_400],
    ["1h 30m", 5_400],
    ["1h30m", 5_400],
    ["2weeks", 1_209_600],
    ["1w", 604_800],
    ["10min", 600],
    ["3 hours", 10_800],
    ["1M", 2_630_016],
    ["1y", 31_557_600],
    ["1500ms", 1],
    ["90sec", 90],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => assert.equal(parseDurationSecs(input), want));
  }
});

Deno.test("parseDurationMs() keeps sub-second precision", () => {
  assert.equal(parseDurationMs("1500ms"), 1500);
  assert.equal(parseDurationMs("250us"), 0);
});

Deno.test("parseDurationSecs() rejects junk with humantime-like messages", () => {
  assert.throws(() => parseDurationSecs(""), /empty/);
  assert.throws(() => parseDurationSecs("10"), /time unit needed/);
  assert.throws(() => parseDurationSecs("abc"), /expected number/);
  assert.throws(() => parseDurationSecs("5 parsecs"), /unknown time unit "parsecs"/);
  assert.throws(() => parseDurationSecs("5constructor"), /unknown time unit "constructor"/);
  assert.throws(() => parseDurationSecs("1__proto__"), /unknown time unit "__proto__"/);
});

Deno.test("formatDurationSecs() renders humantime", () => {
  assert.equal(formatDurationSecs(0), "0s");
  assert.equal(formatDurationSecs(5_400), "1h 30m");
  assert.equal(formatDurationSecs(86_461), "1d 1m 1s");
});
