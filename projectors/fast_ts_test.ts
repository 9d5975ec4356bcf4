import assert from "node:assert/strict";
import { dbTs } from "../wire/time.ts";
import { fastDbTs, fastInstantDb } from "./fast_ts.ts";

function outcome(f: () => string | number): string {
  try {
    return `ok ${f()}`;
  } catch (e) {
    return `throws ${(e as Error).message}`;
  }
}

/** One step per input: the fast function answers (or throws) exactly as the reference. */
async function sameOutcomes(
  t: Deno.TestContext,
  inputs: string[],
  fast: (s: string) => string | number,
  reference: (s: string) => string | number,
) {
  for (const s of inputs) {
    await t.step(JSON.stringify(s), () => {
      // twice: a second call may be served from a memo
      assert.equal(outcome(() => fast(s)), outcome(() => reference(s)));
      assert.equal(outcome(() => fast(s)), outcome(() => reference(s)));
    });
  }
}

Deno.test("fastDbTs matches dbTs on every input shape", async (t) => {
  await sameOutcomes(
    t,
    [
      "2026-06-20T00:00:00Z",
      "2026-06-20T00:00:01.5Z",
      "2026-06-20T00:00:01.500Z",
      "2026-06-20T23:59:59.123456789Z",
      "2026-06-20T23:59:59.1234567891Z", // 10 digits: invalid
      "2026-06-20T23:59:60Z", // leap second: normalised to the next minute
      "2026-06-20T23:59:60.25Z",
      "2026-12-31T23:59:60.999999999Z",
      "2026-02-29T00:00:00Z", // not a leap year
      "2024-02-29T00:00:00.1Z",
      "2026-13-01T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-06-20T24:00:00Z",
      "0050-01-01T00:00:00Z",
      "2026-06-20t00:00:00z",
      "2026-06-20 00:00:00Z",
      " 2026-06-20T00:00:00Z ",
      "2026-06-20T02:00:00+02:00",
      "2026-06-20T02:00:00.5-0130",
      "2026-06-20T00:00:00",
      "",
      "garbage",
    ],
    fastDbTs,
    dbTs,
  );
});

Deno.test("fastInstantDb matches dbTs for instants", () => {
  const cases: [number, number][] = [
    [0, 0],
    [1_781_913_600_123, 456_789],
    [1_781_913_600_999, 999_999],
    [1_781_913_601_000, 0],
    [1_781_913_600_123, 456_789], // back to an earlier second
    [-1_500, 250_000],
  ];
  for (const [ms, sub] of cases) {
    assert.equal(fastInstantDb(ms, sub), dbTs({ ms, subMsNanos: sub }), `${ms}/${sub}`);
  }
});
