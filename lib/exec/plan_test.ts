import assert from "node:assert/strict";
import { checkTokens, expectedTarget, fallbackSubjectCount, plainSubjects } from "./plan.ts";
import { FanoutPlanSchema } from "../../wire/fanout.ts";

const plan = (v: unknown) => FanoutPlanSchema.parse(v);

Deno.test("plain subjects: all, groups, pcs in order, de-duplicated", () => {
  const cases: [unknown, string[]][] = [
    [{ target: { all: true } }, ["commands.all"]],
    [
      { target: { all: true, groups: ["g"], pcs: ["p1", "p2", "p1"] } },
      ["commands.all", "commands.group.g", "commands.pc.p1", "commands.pc.p2"],
    ],
    [{ target: { groups: ["b", "a"] } }, ["commands.group.b", "commands.group.a"]],
    [{}, []],
  ];
  for (const [input, want] of cases) assert.deepEqual(plainSubjects(plan(input).target), want);
});

Deno.test("expected target and fallback count (upstream #485 vectors, empty waves fixed)", () => {
  const plain = plan({ target: { all: true, groups: ["g1"], pcs: ["pc-1"] } });
  assert.deepEqual(expectedTarget(plain), { all: true, groups: ["g1"], pcs: ["pc-1"] });
  assert.equal(fallbackSubjectCount(plain), 3);

  const waves = plan({
    rollout: { waves: [{ group: "canary", delay: "0s" }, { group: "wave1", delay: "10m" }] },
  });
  assert.deepEqual(expectedTarget(waves), { all: false, groups: ["canary", "wave1"], pcs: [] });
  assert.equal(fallbackSubjectCount(waves), 2);

  // Upstream published nothing for `rollout: {waves: []}` with a target; here the plain
  // target path runs, and both counts follow it.
  const empty = plan({ target: { all: true }, rollout: { waves: [] } });
  assert.deepEqual(expectedTarget(empty), { all: true, groups: [], pcs: [] });
  assert.equal(fallbackSubjectCount(empty), 1);
});

Deno.test("subject tokens are checked everywhere they reach a subject", () => {
  assert.equal(checkTokens(plan({ target: { pcs: ["PC1"], groups: ["g-1"] } })), null);
  for (const bad of ["a.b", "a b", "*", ">", "", "x\ty"]) {
    assert.notEqual(checkTokens(plan({ target: { pcs: [bad] } })), null, JSON.stringify(bad));
    assert.notEqual(checkTokens(plan({ target: { groups: [bad] } })), null);
    assert.notEqual(
      checkTokens(plan({ rollout: { waves: [{ group: bad, delay: "0s" }] } })),
      null,
    );
  }
});
