import assert from "node:assert/strict";
import { z } from "zod";
import { formatIssues, issueLines, issuePath } from "./zod_issues.ts";

Deno.test("issuePath() writes indexes in brackets and keys with dots", () => {
  assert.equal(issuePath([]), "");
  assert.equal(issuePath(["a"]), "a");
  assert.equal(issuePath(["inventory", "display", 0, "label"]), "inventory.display[0].label");
  assert.equal(issuePath([0, "x"]), "[0].x");
});

Deno.test("issueLines() names unknown keys one by one and keeps schema messages", async (t) => {
  const S = z.strictObject({
    n: z.number().int("must be an integer"),
    inner: z.strictObject({ s: z.string() }),
    list: z.array(z.strictObject({ k: z.string() })),
  });
  const r = S.safeParse({
    n: 1.5,
    inner: { s: "x", bogus: 1, other: 2 },
    list: [{ k: 1 }],
    top: 0,
  });
  assert.ok(!r.success);
  await t.step("one line per problem, paths as in YAML", () => {
    assert.deepEqual(issueLines(r.error).sort(), [
      "list[0].k: Invalid input: expected string, received number",
      "n: must be an integer",
      "unknown field `inner.bogus`",
      "unknown field `inner.other`",
      "unknown field `top`",
    ]);
  });
  await t.step("formatIssues() joins them with '; '", () => {
    assert.equal(formatIssues(r.error), issueLines(r.error).join("; "));
  });
  await t.step("a whole-value issue gets the root name when one is given", () => {
    const e = z.number().safeParse("x").error!;
    assert.equal(formatIssues(e), "Invalid input: expected number, received string");
    assert.equal(
      formatIssues(e, { root: "body" }),
      "body: Invalid input: expected number, received string",
    );
  });
});
