import assert from "node:assert/strict";
import {
  budgetExceeded,
  encodeFanoutPlan,
  failureBudget,
  FanoutPlanSchema,
  hasWaves,
  isTargetSpecified,
} from "./fanout.ts";

const ENCODE: { name: string; input: unknown; json: string }[] = [
  {
    name: "empty body: default target written",
    input: {},
    json: '{"target":{"groups":[],"pcs":[],"all":false}}',
  },
  {
    name: "target all + jitter, unknown keys dropped",
    input: { target: { all: true }, jitter: "30s", note: "x" },
    json: '{"target":{"groups":[],"pcs":[],"all":true},"jitter":"30s"}',
  },
  {
    name: "key order follows the spec, not the input",
    input: { target: { all: false, pcs: ["PC1"], groups: ["g"] } },
    json: '{"target":{"groups":["g"],"pcs":["PC1"],"all":false}}',
  },
  {
    name: "wave rollout (jobs/wave-test.yaml): default strategy written",
    input: {
      target: { groups: ["canary", "wave1"] },
      rollout: { waves: [{ group: "canary", delay: "0s" }, { group: "wave1", delay: "5s" }] },
      jitter: "3s",
    },
    json:
      '{"target":{"groups":["canary","wave1"],"pcs":[],"all":false},"rollout":{"strategy":"wave","waves":[{"group":"canary","delay":"0s"},{"group":"wave1","delay":"5s"}]},"jitter":"3s"}',
  },
  {
    name: "max_failures extension and deadline in wire form",
    input: {
      rollout: { strategy: "wave", waves: [{ group: "a", delay: "1m" }], max_failures: "10%" },
      deadline_at: "2026-06-20T01:00:00.000+00:00",
    },
    json:
      '{"target":{"groups":[],"pcs":[],"all":false},"rollout":{"strategy":"wave","waves":[{"group":"a","delay":"1m"}],"max_failures":"10%"},"deadline_at":"2026-06-20T01:00:00Z"}',
  },
  {
    name: "nulls read as absent",
    input: { target: { groups: null, pcs: null, all: null }, rollout: null, jitter: null },
    json: '{"target":{"groups":[],"pcs":[],"all":false}}',
  },
];

for (const c of ENCODE) {
  Deno.test(`fanout plan: ${c.name}`, () => {
    const p = FanoutPlanSchema.parse(c.input);
    assert.equal(JSON.stringify(encodeFanoutPlan(p)), c.json);
    // Encoded output parses back to the same encoding.
    assert.equal(
      JSON.stringify(encodeFanoutPlan(FanoutPlanSchema.parse(JSON.parse(c.json)))),
      c.json,
    );
  });
}

Deno.test("fanout plan refusals", () => {
  for (
    const bad of [
      { target: { all: "yes" } },
      { target: { pcs: "PC1" } },
      { rollout: { waves: [{ group: "a" }] } },
      { rollout: { waves: [], max_failures: -1 } },
      { rollout: { waves: [], max_failures: "ten" } },
      { rollout: { waves: [], max_failures: "150%" } },
      { deadline_at: "tomorrow" },
    ]
  ) assert.equal(FanoutPlanSchema.safeParse(bad).success, false, JSON.stringify(bad));
});

Deno.test("target specified / wave path", () => {
  const p = (v: unknown) => FanoutPlanSchema.parse(v);
  assert.equal(isTargetSpecified(p({}).target), false);
  assert.equal(isTargetSpecified(p({ target: { pcs: ["a"] } }).target), true);
  assert.equal(isTargetSpecified(p({ target: { all: true } }).target), true);
  assert.equal(hasWaves(p({ rollout: { waves: [] } })), false);
  assert.equal(hasWaves(p({ rollout: { waves: [{ group: "g", delay: "0s" }] } })), true);
});

Deno.test("failure budget: counts and percents", () => {
  const cases: [unknown, number, number, number | null, boolean][] = [
    // max, failures, total, budget, exceeded
    [null, 5, 10, null, false],
    [0, 0, 10, 0, false],
    [0, 1, 10, 0, true],
    [2, 2, 10, 2, false],
    [2, 3, 10, 2, true],
    ["10%", 1, 10, 1, false],
    ["10%", 2, 10, 1, true],
    ["10%", 1, 5, 0, true],
    ["0%", 0, 0, 0, false],
    ["100%", 10, 10, 10, false],
    ["12.5%", 1, 8, 1, false],
  ];
  for (const [max, f, t, budget, exceeded] of cases) {
    assert.equal(failureBudget(max as never, t), budget, `${max} of ${t}`);
    assert.equal(budgetExceeded(max as never, f, t), exceeded, `${max}: ${f}/${t}`);
  }
});
