import assert from "node:assert/strict";
import { checkPreconditions, parseRange, rangeApplies } from "./http_range.ts";

Deno.test("parseRange() serves one range and refuses the rest", async (t) => {
  const cases: [string | null, number, ReturnType<typeof parseRange>][] = [
    [null, 10, null],
    ["bytes=0-0", 10, { start: 0, end: 0 }],
    ["bytes=2-5", 10, { start: 2, end: 5 }],
    ["bytes=2-", 10, { start: 2, end: 9 }],
    ["bytes=9-", 10, { start: 9, end: 9 }],
    ["bytes=5-100", 10, { start: 5, end: 9 }],
    ["bytes=-3", 10, { start: 7, end: 9 }],
    ["bytes=-30", 10, { start: 0, end: 9 }],
    [" BYTES = 1 - 2 ", 10, { start: 1, end: 2 }],
    ["bytes=10-", 10, "unsatisfiable"],
    ["bytes=-0", 10, "unsatisfiable"],
    ["bytes=5-4", 10, "unsatisfiable"],
    ["bytes=-", 10, "unsatisfiable"],
    ["bytes=0-1,3-4", 10, "unsatisfiable"],
    ["bytes=a-b", 10, "unsatisfiable"],
    ["items=0-1", 10, "unsatisfiable"],
    ["bytes=0-", 0, "unsatisfiable"],
    ["bytes=99999999999999999999-", 10, "unsatisfiable"],
  ];
  for (const [h, total, want] of cases) {
    await t.step(`${h} of ${total}`, () => assert.deepEqual(parseRange(h, total), want));
  }
});

Deno.test("checkPreconditions(): If-Match strong, If-None-Match weak, in RFC order", () => {
  const e = '"SHA-256=abc="';
  const c = (ifMatch: string | null, ifNoneMatch: string | null) =>
    checkPreconditions({ ifMatch, ifNoneMatch }, e);
  assert.equal(c(null, null), "ok");
  assert.equal(c(e, null), "ok");
  assert.equal(c("*", null), "ok");
  assert.equal(c('"other"', null), "precondition_failed");
  assert.equal(c(`W/${e}`, null), "precondition_failed");
  assert.equal(c(null, e), "not_modified");
  assert.equal(c(null, `W/${e}`), "not_modified");
  assert.equal(c(null, `"x", ${e}`), "not_modified");
  assert.equal(c(null, "*"), "not_modified");
  assert.equal(c(null, '"x"'), "ok");
  assert.equal(c('"other"', e), "precondition_failed", "If-Match is decided first");
});

Deno.test("rangeApplies(): If-Range must name the current ETag", () => {
  assert.equal(rangeApplies(null, '"a"'), true);
  assert.equal(rangeApplies('"a"', '"a"'), true);
  assert.equal(rangeApplies('"b"', '"a"'), false);
  assert.equal(rangeApplies("Wed, 21 Oct 2015 07:28:00 GMT", '"a"'), false);
});
