import assert from "node:assert/strict";
import { dbTs, epochMs, parseInstant, wireTs, wireTsGeneral } from "./time.ts";

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

/** The answer, or the error's class and message: a shortcut must give the same of either. */
function outcome(f: () => string): string {
  try {
    return `= ${f()}`;
  } catch (e) {
    return `! ${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** mulberry32: a seeded sequence, so a failure names an input that reproduces. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("wireTs() shortcuts answer as the general path, for epoch ms and every string shape", () => {
  const rand = seeded(20261206);
  const min = Date.UTC(1000, 0, 1), max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  let shortcut = 0;
  for (let i = 0; i < 20_000; i++) {
    let ms = Math.floor(min + rand() * (max - min));
    if (i % 4 === 0) ms -= ms % 1000; // whole seconds: no fraction on the wire
    if (i % 97 === 0) ms += 0.5; // a fractional millisecond is truncated by both
    assert.equal(wireTs(ms), wireTsGeneral(ms), `ms ${ms}`);
    const wire = wireTsGeneral(Math.trunc(ms));
    const iso = new Date(Math.trunc(ms)).toISOString();
    const variants = [
      wire, // the canonical millisecond form: the string shortcut
      iso, // `.000Z` for whole seconds: not canonical
      iso.toLowerCase(),
      iso.replace("Z", "+00:00"),
      iso.replace("Z", "-01:30"),
      iso.replace(/\.\d{3}Z$/, ".5Z"),
      iso.replace(/Z$/, "000Z"),
      iso.replace(/Z$/, "123456Z"),
      ` ${iso}`,
      iso.slice(0, 8) + "31" + iso.slice(10), // the 31st of every month, possible or not
      iso.slice(0, 5) + "02-29" + iso.slice(10), // leap days, real or not
      iso.slice(0, 11) + "24" + iso.slice(13),
      iso.slice(0, 17) + "60" + iso.slice(19),
      "0" + iso.slice(1), // years 0000–0999 take the general path
      iso.replace("T", " "),
    ];
    for (const v of variants) {
      if (v === wire) shortcut++;
      assert.equal(outcome(() => wireTs(v)), outcome(() => wireTsGeneral(v)), v);
    }
  }
  assert.ok(shortcut >= 20_000, "every canonical form was compared");
  for (
    const v of ["", "Z", "x".repeat(19) + "Z", "2026-05-20T12:00:00.12Z ", "Sat, 06 Dec 2026 Z"]
  ) {
    assert.equal(outcome(() => wireTs(v)), outcome(() => wireTsGeneral(v)), JSON.stringify(v));
  }
});

Deno.test("epochMs answers as parseInstant on every input shape (its shortcut for rendered text)", () => {
  for (
    const s of [
      "2026-06-20T00:00:00.000000000Z",
      "2026-06-20T23:59:59.123456789Z",
      "2024-02-29T12:00:00.999999999Z",
      "2026-02-29T00:00:00.000000000Z", // not a leap year
      "2026-04-31T00:00:00.000000000Z",
      "2026-06-20T24:00:00.000000000Z",
      "2026-06-20T23:59:60.500000000Z", // leap second
      "2026-13-01T00:00:00.000000000Z",
      "0050-01-01T00:00:00.000000000Z",
      "2026-06-20T00:00:00Z",
      "2026-06-20T02:00:00.5+02:00",
      "garbage",
    ]
  ) {
    // twice: the same answer however often it is asked
    assert.equal(outcome(() => String(epochMs(s))), outcome(() => String(parseInstant(s).ms)), s);
    assert.equal(outcome(() => String(epochMs(s))), outcome(() => String(parseInstant(s).ms)), s);
  }
});
