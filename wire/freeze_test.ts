import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { encodeFreeze, FreezeSchema, isFrozen, validateFreeze } from "./freeze.ts";

const at = (iso: string) => Date.parse(iso);

Deno.test("isFrozen() is half-open [from, until) and fails closed", async (t) => {
  const table: [string, unknown, string, boolean][] = [
    ["{} freezes indefinitely", {}, "2026-11-22T12:00:00Z", true],
    ["before from", { from: "2026-11-23", tz: "utc" }, "2026-11-22T23:59:59Z", false],
    ["at from", { from: "2026-11-23", tz: "utc" }, "2026-11-23T00:00:00Z", true],
    ["1 ms before until", { until: "2026-11-23T00:00:00Z" }, "2026-11-22T23:59:59.999Z", true],
    ["at until", { until: "2026-11-23T00:00:00Z" }, "2026-11-23T00:00:00Z", false],
    [
      "RFC 3339 offset honoured",
      { from: "2026-11-23T09:00:00+09:00" },
      "2026-11-23T00:00:00Z",
      true,
    ],
    ["unparseable bound fails closed", { from: "later", tz: "utc" }, "2020-01-01T00:00:00Z", true],
    ["not an object fails closed", "frozen?", "2026-11-22T12:00:00Z", true],
    ["bad tz fails closed", { from: "2030-01-01", tz: "mars" }, "2026-11-22T12:00:00Z", true],
  ];
  for (const [name, value, now, want] of table) {
    await t.step(name, () => assertEquals(isFrozen(value, at(now)), want));
  }
});

Deno.test("validateFreeze() uses the active messages with a freeze prefix", () => {
  const v = (x: unknown) => validateFreeze(FreezeSchema.parse(x));
  assertEquals(v({}), null);
  assertEquals(v({ from: "x" }), "freeze: unparseable bound 'x' (want YYYY-MM-DD or RFC3339)");
  assertEquals(
    v({ from: "2026-02-01", until: "2026-01-01", tz: "utc" }),
    "freeze.from (2026-02-01) must be strictly before freeze.until (2026-01-01)",
  );
  assertEquals(v({ from: "2026-01-01", until: "2026-02-01" }), null);
});

Deno.test("encodeFreeze() writes from, until, reason, tz in order", () => {
  assertEquals(JSON.stringify(encodeFreeze(FreezeSchema.parse({}))), `{"tz":"local"}`);
  assertEquals(
    JSON.stringify(
      encodeFreeze(
        FreezeSchema.parse({ tz: "utc", reason: "r", until: "2026-12-31", from: "2026-12-20" }),
      ),
    ),
    `{"from":"2026-12-20","until":"2026-12-31","reason":"r","tz":"utc"}`,
  );
});
