import assert from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import { checkId, parseScopeKey, type Scope, scopeKey, scopeLabel, scopeOf } from "./scopes.ts";

Deno.test("scopeKey()/parseScopeKey() round-trip and labels", async (t) => {
  const cases: [Scope, string, string][] = [
    [{ type: "global" }, "global", "global"],
    [{ type: "group", value: "dept-eng" }, "groups.dept-eng", "group:dept-eng"],
    [{ type: "pc", value: "PC1234" }, "pcs.PC1234", "pc:PC1234"],
  ];
  for (const [scope, key, label] of cases) {
    await t.step(key, () => {
      assert.equal(scopeKey(scope), key);
      assert.equal(scopeLabel(scope), label);
      assert.deepEqual(parseScopeKey(key), scope);
    });
  }
  await t.step("unknown and legacy keys", () => {
    assert.equal(parseScopeKey("target_version"), null);
    assert.equal(parseScopeKey("groups."), null);
    assert.equal(parseScopeKey("pcs."), null);
  });
});

Deno.test("checkId() refuses what cannot be a subject token and KV key", async (t) => {
  for (const ok of ["PC1", "dept-eng", "a_b", "x=y", "A/B"]) {
    await t.step(`ok ${ok}`, () => assert.equal(checkId("pc_id", ok), ok));
  }
  for (const bad of ["", "a.b", "a b", "*", ">", "a>", "é", "a\tb", "x".repeat(257)]) {
    await t.step(`bad ${JSON.stringify(bad)}`, () => {
      assert.throws(() => checkId("group", bad), (e) => e instanceof ValidationError);
    });
  }
});

Deno.test("checkId({kv: false}) accepts any subject token", () => {
  for (const ok of ["PC@1", "é", "a:b"]) {
    assert.equal(checkId("pc_id", ok, { kv: false }), ok);
    assert.throws(() => checkId("pc_id", ok), (e) => e instanceof ValidationError);
  }
  for (const bad of ["a.b", "a b", "*"]) {
    assert.throws(() => checkId("pc_id", bad, { kv: false }), ValidationError);
  }
});

Deno.test("scopeOf() validates the value of group/pc scopes", () => {
  assert.deepEqual(scopeOf({ type: "global", value: "ignored" }), { type: "global" });
  assert.deepEqual(scopeOf({ type: "group", value: "g1" }), { type: "group", value: "g1" });
  assert.throws(() => scopeOf({ type: "pc", value: "a.b" }), ValidationError);
});
