import assert from "node:assert/strict";
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import {
  compileRegex,
  csvParam,
  flagParam,
  instantParam,
  likeEscape,
  limitParam,
  parseJsonColumn,
} from "./params.ts";
import { aggregateDurations } from "./health.ts";
import { inventoryHintOf } from "./inventory.ts";

Deno.test("limitParam(5, 20), the perf top limit: out of range is refused, never clamped", () => {
  const top = limitParam(5, 20);
  assert.equal(top.parse(undefined), 5);
  assert.equal(top.parse("7"), 7);
  for (const bad of ["0", "99", "ten"]) assert.equal(top.safeParse(bad).success, false, bad);
});

Deno.test("limitParam: default, bounds, blanks", async (t) => {
  const s = z.object({ limit: limitParam(50, 1000) });
  for (
    const [input, want] of [
      [{}, 50],
      [{ limit: "" }, 50],
      [{ limit: "7" }, 7],
      [{ limit: "1000" }, 1000],
      [{ limit: "0" }, null],
      [{ limit: "1001" }, null],
      [{ limit: "1.5" }, null],
      [{ limit: "abc" }, null],
      [{ limit: "1e3" }, null],
      [{ limit: "0x10" }, null],
      [{ limit: "-1" }, null],
      [{ limit: " 7 " }, 7],
    ] as const
  ) {
    await t.step(JSON.stringify(input), () => {
      const r = s.safeParse(input);
      assert.equal(r.success ? r.data.limit : null, want);
    });
  }
});

Deno.test("flagParam and csvParam", () => {
  for (
    const [raw, want] of [
      [undefined, false],
      ["", false],
      ["TRUE", true],
      ["1", true],
      ["yes", true],
      ["no", false],
      ["0", false],
    ] as const
  ) {
    assert.equal(flagParam.parse(raw), want, String(raw));
  }
  assert.ok(!flagParam.safeParse("maybe").success, "an unknown value is a 400, not false");
  assert.deepEqual(csvParam.parse("a, b,,c"), ["a", "b", "c"]);
  assert.equal(csvParam.parse(""), undefined);
});

Deno.test("instantParam renders canonical DB text", async (t) => {
  const s = z.object({ since: instantParam });
  for (
    const [input, want] of [
      ["2026-06-20T00:00:00Z", "2026-06-20T00:00:00.000000000Z"],
      ["2026-06-20T02:00:00.5+02:00", "2026-06-20T00:00:00.500000000Z"],
      ["", undefined],
      ["yesterday", "error"],
      ["2026-02-30T00:00:00Z", "error"],
    ] as const
  ) {
    await t.step(input || "(blank)", () => {
      const r = s.safeParse({ since: input });
      assert.equal(r.success ? r.data.since : "error", want);
    });
  }
});

Deno.test("compileRegex: RE2 semantics, 400 on bad or huge patterns", async (t) => {
  await t.step(
    "substring search",
    () => assert.equal(compileRegex("x", "PC00")!.test("xPC001"), true),
  );
  await t.step("empty = no filter", () => assert.equal(compileRegex("x", ""), null));
  for (const bad of ["(a", "a{2,1}", "(?<=a)b", "x".repeat(513)]) {
    await t.step(`rejects ${bad.slice(0, 12)}`, () => {
      assert.throws(
        () => compileRegex("stdout", bad),
        (e) => e instanceof ValidationError,
      );
    });
  }
  await t.step("(a+)+$ is linear", () => {
    const re = compileRegex("stdout", "(a+)+$")!;
    const t0 = performance.now();
    assert.equal(re.test("a".repeat(200_000) + "b"), false);
    assert.ok(performance.now() - t0 < 1000);
  });
});

Deno.test("likeEscape, parseJsonColumn, aggregateDurations, inventoryHintOf", async (t) => {
  await t.step("likeEscape", () => assert.equal(likeEscape("100%_a\\b"), "100\\%\\_a\\\\b"));
  await t.step("parseJsonColumn", () => {
    assert.deepEqual(parseJsonColumn('{"a":1}'), { a: 1 });
    assert.equal(parseJsonColumn("nope"), null);
    assert.equal(parseJsonColumn(null), null);
  });
  await t.step("aggregateDurations: nearest rank, clamp, sort by p95", () => {
    const out = aggregateDurations([
      { job_id: "a", ms: 100, result_id: "a1" },
      { job_id: "a", ms: -5, result_id: "a2" },
      { job_id: "b", ms: 5000, result_id: "b1" },
    ]);
    assert.deepEqual(out.map((x) => [x.job_id, x.min_ms, x.p95_ms, x.max_result_id, x.mean_ms]), [
      ["b", 5000, 5000, "b1", 5000],
      ["a", 0, 100, "a1", 50],
    ]);
  });
  await t.step("inventoryHintOf is tolerant", () => {
    assert.equal(inventoryHintOf("k", { id: "k" }), null);
    assert.equal(inventoryHintOf("k", [1]), null);
    assert.deepEqual(inventoryHintOf("k", { inventory: { display: [] }, future: 1 }), {
      id: "k",
      description: null,
      inventory: { display: [] },
    });
  });
});
