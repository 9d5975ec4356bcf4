import assert from "node:assert/strict";
import { applyGroupEdit, summarizeGroups } from "./groups.ts";

Deno.test("applyGroupEdit() keeps the list sorted and de-duplicated", async (t) => {
  const cases: [string, string[], Parameters<typeof applyGroupEdit>[1], string[]][] = [
    ["add to empty", [], { op: "add", group: "b" }, ["b"]],
    ["add sorts", ["c"], { op: "add", group: "a" }, ["a", "c"]],
    ["add existing is a no-op", ["a", "b"], { op: "add", group: "a" }, ["a", "b"]],
    ["remove", ["a", "b"], { op: "remove", group: "a" }, ["b"]],
    ["remove absent", ["a"], { op: "remove", group: "z" }, ["a"]],
    ["set normalises", ["x"], { op: "set", groups: ["b", "a", "b", " a "] }, ["a", "b"]],
    ["set empty", ["x"], { op: "set", groups: [] }, []],
  ];
  for (const [name, cur, edit, want] of cases) {
    await t.step(name, () => assert.deepEqual(applyGroupEdit(cur, edit), want));
  }
});

Deno.test("summarizeGroups() lists members and configured groups", () => {
  const m = new Map([["PC2", ["b", "a"]], ["PC1", ["a"]]]);
  assert.deepEqual(summarizeGroups(m, ["global", "groups.b", "groups.lonely", "pcs.PC1"]), [
    { name: "a", members: ["PC1", "PC2"], has_config: false },
    { name: "b", members: ["PC2"], has_config: true },
    { name: "lonely", members: [], has_config: true },
  ]);
  assert.deepEqual(summarizeGroups(new Map(), []), []);
});
