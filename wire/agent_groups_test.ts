import assert from "node:assert/strict";
import { decodeAgentGroups, encodeAgentGroups, normalizeGroups } from "./agent_groups.ts";

Deno.test("encodeAgentGroups(): equal sets give identical bytes", () => {
  assert.equal(
    encodeAgentGroups(["wave1", "dept-eng", "wave1"]),
    '{"groups":["dept-eng","wave1"]}',
  );
  assert.equal(encodeAgentGroups(["dept-eng", "wave1"]), encodeAgentGroups(["wave1", "dept-eng"]));
  assert.equal(encodeAgentGroups([]), '{"groups":[]}');
});

Deno.test("decodeAgentGroups() accepts both shapes and refuses the rest", async (t) => {
  const ok: [unknown, string[]][] = [
    [{ groups: ["b", "a", "a"] }, ["a", "b"]],
    [{ groups: [], extra: 1 }, []],
    [["x", "x", " y "], ["x", "y"]],
  ];
  for (const [v, want] of ok) {
    await t.step(JSON.stringify(v), () => assert.deepEqual(decodeAgentGroups(v), want));
  }
  for (const bad of [{}, { groups: "a" }, { groups: [1] }, [1, 2], null, "a"]) {
    await t.step(
      `refuses ${JSON.stringify(bad)}`,
      () => assert.throws(() => decodeAgentGroups(bad)),
    );
  }
});

Deno.test("normalizeGroups() trims, drops blanks, sorts", () => {
  assert.deepEqual(normalizeGroups([" b", "", "a ", "b"]), ["a", "b"]);
});
