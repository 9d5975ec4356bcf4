import assert from "node:assert/strict";
import { dbTs, parseInstant, wireTs } from "./time.ts";

Deno.test("wireTs() writes the shortest of 0/3/6/9 fraction digits (chrono AutoSi)", async (t) => {
  const cases: [string, string][] = [
    ["2026-05-16T00:00:00Z", "2026-05-16T00:00:00Z"],
    ["2026-05-16T00:00:00.000Z", "2026-05-16T00:00:00Z"],
    ["2026-05-20T12:00:00.123Z", "2026-05-20T12:00:00.123Z"],
    ["2026-05-20T12:00:00.1Z", "2026-05-20T12:00:00.100Z"],
    ["2026-05-20T12:00:00.123456Z", "2026-05-20T12:00:00.123456Z"],
    ["2026-05-20T12:00:00.123400Z", "2026-05-20T12:00:00.123400Z"],
    ["2026-05-20T12:00:00.123456789Z", "2026-05-20T12:00:00.123456789Z"],
    ["2026-05-20T12:00:00.1234567Z", "2026-05-20T12:00:00.123456700Z"],
    ["2026-05-20T21:00:00+09:00", "2026-05-20T12:00:00Z"],
    ["2026-05-20T00:30:00.5-01:00", "2026-05-20T01:30:00.500Z"],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => assert.equal(wireTs(input), want));
  }
});

Deno.test("dbTs() is fixed width so text order equals time order", () => {
  const a = dbTs("2026-05-20T12:00:00Z");
  const b = dbTs("2026-05-20T12:00:00.5Z");
  const c = dbTs("2026-05-20T12:00:00.000000001Z");
  assert.equal(a, "2026-05-20T12:00:00.000000000Z");
  assert.equal(a.length, b.length);
  assert.ok(a < c && c < b);
});

Deno.test("parseInstant() rejects what is not RFC 3339", () => {
  for (
    const bad of [
      "",
      "2026-13-01T00:00:00Z",
      "2026-02-30T00:00:00Z",
      "yesterday",
      "2026-05-20 12:00",
    ]
  ) {
    assert.throws(() => parseInstant(bad), /invalid RFC 3339/, bad);
  }
});
